"""FeeScheduleService over gRPC: translate requests to queries, results to messages."""

from __future__ import annotations

from clinic.billing.v1 import fee_schedule_service_pb2 as pb
from clinic.billing.v1 import fee_schedule_service_pb2_grpc as pb_grpc
from clinic_common import paging

from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import queries


class FeeScheduleServicer(pb_grpc.FeeScheduleServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def ListFeeScheduleEntries(self, request, context):
        want = paging.page_request(request)
        page = queries.list_fee_schedule(self.runner, self.policy, limit=want.size,
                                         after=want.after)
        return pb.ListFeeScheduleEntriesResponse(
            entries=[cv.fee_entry_to_proto(e) for e in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def GetFeeScheduleEntry(self, request, context):
        code = cv.FEE_SCHEDULE_ENTRY.parse_one(request.name)
        entry = queries.get_fee_entry(code, self.runner, self.policy)
        return pb.GetFeeScheduleEntryResponse(entry=cv.fee_entry_to_proto(entry))
