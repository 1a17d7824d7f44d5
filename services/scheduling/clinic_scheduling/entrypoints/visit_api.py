"""VisitService over gRPC: the visit day's transitions of a booked appointment."""

from __future__ import annotations

from clinic.scheduling.v1 import visit_service_pb2 as pb
from clinic.scheduling.v1 import visit_service_pb2_grpc as pb_grpc
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import from_timestamp

from clinic_scheduling.domain.visit import BillingFacts
from clinic_scheduling.entrypoints.appointment_refs import appointment_message, ref_of
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.permissions import VISIT_RULES
from clinic_scheduling.entrypoints.visit_messages import dose_mcg, wasted_mcg
from clinic_scheduling.service_layer import visits


def _short(name: str, value: str, limit: int = 64) -> str:
    if len(value) > limit:
        raise FieldViolation(name, f"is longer than {limit} characters")
    return value.strip()


class VisitServicer(pb_grpc.VisitServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def MarkAppointmentNoShow(self, request, context):
        ref = ref_of(request, VISIT_RULES["MarkAppointmentNoShow"])
        visits.mark_no_show(ref, self.runner)
        return pb.MarkAppointmentNoShowResponse(appointment=appointment_message(ref, self.runner))

    def CheckInAppointment(self, request, context):
        ref = ref_of(request, VISIT_RULES["CheckInAppointment"])
        visits.check_in(visits.CheckIn(ref=ref, escort_confirmed=request.escort_confirmed,
                                       fasting_confirmed=request.fasting_confirmed),
                         self.runner, self.policy)
        return pb.CheckInAppointmentResponse(appointment=appointment_message(ref, self.runner))

    def StartVisit(self, request, context):
        ref = ref_of(request, VISIT_RULES["StartVisit"])
        cmd = visits.StartVisit(ref=ref, drug=_short("drug", request.drug),
                                dose_mcg=dose_mcg(request.dose_given_mg),
                                lot_number=_short("lot_number", request.lot_number))
        if cmd.dose_mcg and not cmd.drug:
            raise FieldViolation("drug", "is required with a dose")
        visits.start_visit(cmd, self.runner)
        return pb.StartVisitResponse(appointment=appointment_message(ref, self.runner))

    def RecordVisitVitals(self, request, context):
        ref = ref_of(request, VISIT_RULES["RecordVisitVitals"])
        taken_at = from_timestamp(request.taken_time, "taken_time", required=False)
        _, alerts = visits.record_vitals(visits.RecordVitals(
            ref=ref, taken_at=taken_at, systolic_mmhg=request.systolic_mmhg,
            diastolic_mmhg=request.diastolic_mmhg, pulse_bpm=request.pulse_bpm,
            spo2_percent=request.spo2_percent), self.runner, self.policy)
        return pb.RecordVisitVitalsResponse(appointment=appointment_message(ref, self.runner),
                                            alerts=alerts)

    def EndVisit(self, request, context):
        ref = ref_of(request, VISIT_RULES["EndVisit"])
        visits.end_visit(ref, self.runner)
        return pb.EndVisitResponse(appointment=appointment_message(ref, self.runner))

    def DischargeVisit(self, request, context):
        ref = ref_of(request, VISIT_RULES["DischargeVisit"])
        visits.discharge(ref, _short("escort_name", request.escort_name, 200), self.runner,
                         self.policy)
        return pb.DischargeVisitResponse(appointment=appointment_message(ref, self.runner))

    def CompleteAppointment(self, request, context):
        ref = ref_of(request, VISIT_RULES["CompleteAppointment"])
        if request.administered_dose_mcg < 0:
            raise FieldViolation("administered_dose_mcg", "must not be negative")
        if len(request.rendering_provider_id) > 64:
            raise FieldViolation("rendering_provider_id", "is longer than 64 characters")
        visits.complete_appointment(visits.CompleteAppointment(
            ref=ref, rendering_provider_id=request.rendering_provider_id,
            administered_dose_mcg=request.administered_dose_mcg,
            facts=BillingFacts(
                em_level=request.em_level,
                provider_credential=_short("provider_credential",
                                           request.provider_credential, 16).upper(),
                motor_threshold_redetermined=request.motor_threshold_redetermined,
                drug_wasted_mcg=wasted_mcg(request.drug_wasted_mg))), self.runner)
        return pb.CompleteAppointmentResponse(appointment=appointment_message(ref, self.runner))
