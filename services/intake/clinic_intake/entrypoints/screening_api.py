"""ScreeningService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import screening_service_pb2 as pb
from clinic.intake.v1 import screening_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import from_timestamp

from clinic_intake.entrypoints import common
from clinic_intake.entrypoints import screening_messages as msg
from clinic_intake.service_layer import screenings
from clinic_intake.service_layer.deps import Deps


class ScreeningServicer(pb_grpc.ScreeningServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def ListInstruments(self, request, context):
        want = paging.page_request(request)
        rest = [i for i in self.deps.instruments.all()
                if not want.after or i.code > str(want.after[0])]
        page, more = rest[:want.size], len(rest) > want.size
        return pb.ListInstrumentsResponse(
            instruments=[msg.instrument_out(i) for i in page],
            next_page_token=paging.next_page_token([page[-1].code] if more else None, request))

    def CreateScreening(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        if not request.HasField("screening"):
            raise FieldViolation("screening", "is required")
        s = request.screening
        screening_id = screenings.submit_screening(screenings.SubmitScreening(
            patient_id=patient_id, instrument=s.instrument.strip(),
            answers=[(a.item, a.value) for a in s.answers],
            administered_at=from_timestamp(s.administer_time, "screening.administer_time",
                                           required=False),
            appointment_id=s.appointment_id, **meta), self.deps)
        found, flags = screenings.get_screening(patient_id, screening_id, self.deps)
        return pb.CreateScreeningResponse(screening=msg.screening_out(found, flags))

    def GetScreening(self, request, context):
        ids = common.SCREENING.parse(request.name)
        return pb.GetScreeningResponse(
            screening=msg.screening_out(*screenings.get_screening(*ids, self.deps)))

    def ListScreenings(self, request, context):
        want = paging.page_request(request)
        page = screenings.list_screenings(
            common.patient_id(request.parent, "parent"), self.deps, limit=want.size, after=want.after,
            instrument=request.instrument.strip())
        return pb.ListScreeningsResponse(
            screenings=[msg.screening_out(s, flags) for s, flags in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def GetScoreTrend(self, request, context):
        trend = screenings.score_trend(common.patient_id(request.parent, "parent"),
                                       request.instrument.strip(), self.deps)
        return pb.GetScoreTrendResponse(trend=msg.trend_out(trend))

    def ListSafetyFlags(self, request, context):
        want = paging.page_request(request)
        page = screenings.list_records(
            "safety_flags", common.patient_id(request.parent, "parent"), self.deps,
            limit=want.size, after=want.after, open_only=request.open_only)
        return pb.ListSafetyFlagsResponse(flags=[msg.flag_out(f) for f in page.items],
                                          next_page_token=paging.next_page_token(page.next_key, request))

    def AcknowledgeSafetyFlag(self, request, context):
        meta = common.change(request)
        patient_id, flag_id = common.SAFETY_FLAG.parse(request.name)
        screenings.acknowledge_flag(screenings.AcknowledgeFlag(
            patient_id=patient_id, flag_id=flag_id, note=request.note, **meta), self.deps)
        return pb.AcknowledgeSafetyFlagResponse(
            flag=msg.flag_out(screenings.get_flag(patient_id, flag_id, self.deps)))
