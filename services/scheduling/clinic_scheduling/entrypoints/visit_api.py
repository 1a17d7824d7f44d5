"""VisitService over gRPC: the visit day's transitions of a booked appointment."""

from __future__ import annotations

from clinic.scheduling.v1 import visit_service_pb2 as pb
from clinic.scheduling.v1 import visit_service_pb2_grpc as pb_grpc
from clinic_common.errors import FieldViolation

from clinic_scheduling.entrypoints.appointment_refs import appointment_message, ref_of
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.permissions import VISIT_RULES
from clinic_scheduling.service_layer import visits


class VisitServicer(pb_grpc.VisitServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def MarkAppointmentNoShow(self, request, context):
        ref = ref_of(request, VISIT_RULES["MarkAppointmentNoShow"])
        visits.mark_no_show(ref, self.runner)
        return pb.MarkAppointmentNoShowResponse(appointment=appointment_message(ref, self.runner))

    def CompleteAppointment(self, request, context):
        ref = ref_of(request, VISIT_RULES["CompleteAppointment"])
        if request.administered_dose_mcg < 0:
            raise FieldViolation("administered_dose_mcg", "must not be negative")
        if len(request.rendering_provider_id) > 64:
            raise FieldViolation("rendering_provider_id", "is longer than 64 characters")
        visits.complete_appointment(visits.CompleteAppointment(
            ref=ref, rendering_provider_id=request.rendering_provider_id,
            administered_dose_mcg=request.administered_dose_mcg), self.runner)
        return pb.CompleteAppointmentResponse(appointment=appointment_message(ref, self.runner))
