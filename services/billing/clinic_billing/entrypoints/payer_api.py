"""PayerService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import payer_pb2
from clinic.billing.v1 import payer_service_pb2 as pb
from clinic.billing.v1 import payer_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import check_id
from clinic_common.runner import RequestKey

from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import payers

UPDATABLE = ("display_name", "kind")


class PayerServicer(pb_grpc.PayerServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def CreatePayer(self, request, context):
        payer_id = check_id(request.payer_id, "payer_id")
        if not request.HasField("payer"):
            raise FieldViolation("payer", "is required")
        payers.create_payer(payers.CreatePayer(
            payer_id=payer_id, display_name=request.payer.display_name,
            kind=cv.payer_kind(request.payer.kind, required=False),
            key=RequestKey.of(request)), self.runner)
        return pb.CreatePayerResponse(payer=self._payer(payer_id))

    def GetPayer(self, request, context):
        return pb.GetPayerResponse(payer=self._payer(cv.PAYER.parse_one(request.name)))

    def ListPayers(self, request, context):
        want = paging.page_request(request)
        page = payers.list_payers(self.runner, limit=want.size, after=want.after)
        return pb.ListPayersResponse(
            payers=[cv.payer_to_proto(p) for p in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdatePayer(self, request, context):
        payer_id = cv.PAYER.parse_one(request.payer.name, "payer.name")
        paths = list(request.update_mask.paths)
        if not paths:
            raise FieldViolation("update_mask", "is required: name the fields to change")
        for path in paths:
            if path not in UPDATABLE:
                raise FieldViolation("update_mask", f"{path!r} is not a field that can be changed")
        payers.update_payer(payers.UpdatePayer(
            payer_id=payer_id,
            display_name=request.payer.display_name if "display_name" in paths else None,
            kind=cv.payer_kind(request.payer.kind, required=True) if "kind" in paths else None,
            key=RequestKey.of(request)), self.runner)
        return pb.UpdatePayerResponse(payer=self._payer(payer_id))

    def DeletePayer(self, request, context):
        payers.delete_payer(cv.PAYER.parse_one(request.name), RequestKey.of(request), self.runner)
        return pb.DeletePayerResponse()

    def _payer(self, payer_id: str) -> payer_pb2.Payer:
        return cv.payer_to_proto(payers.get_payer(payer_id, self.runner))
