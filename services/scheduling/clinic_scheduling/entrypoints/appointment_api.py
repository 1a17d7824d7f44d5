"""AppointmentService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.scheduling.v1 import appointment_service_pb2 as pb
from clinic.scheduling.v1 import appointment_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey

from clinic_scheduling.domain.appointment import Initiator
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.appointment_refs import appointment_message, ref_of
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.permissions import APPOINTMENT_RULES, visible_locations
from clinic_scheduling.service_layer import appointments, visits


class AppointmentServicer(pb_grpc.AppointmentServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def CreateAppointment(self, request, context):
        location_id = m.LOCATION.parse_one(request.parent, "parent")
        if not request.HasField("appointment"):
            raise FieldViolation("appointment", "is required")
        a = request.appointment
        booked = appointments.book_appointment(appointments.BookAppointment(
            location_id=location_id, patient_id=a.patient_id, appointment_type=a.appointment_type,
            start=m.instant(a.start_time, "appointment.start_time"),
            end=m.instant(a.end_time, "appointment.end_time", required=False),
            resource_ids=tuple(a.resource_ids), key=RequestKey.of(request),
            hold_id=request.hold_id), self.runner,
            self.policy)
        return pb.CreateAppointmentResponse(appointment=m.appointment_to_proto(booked))

    def GetAppointment(self, request, context):
        ref = ref_of(request, APPOINTMENT_RULES["GetAppointment"])
        return pb.GetAppointmentResponse(appointment=appointment_message(ref, self.runner))

    def ListAppointments(self, request, context):
        location_id = m.location_filter_from_parent(request.parent)
        query = appointments.AppointmentQuery(
            location_ids=frozenset({location_id}) if location_id else visible_locations(),
            patient_id=request.patient_id or None,
            start_date=to_date(request.start_date, "start_date", required=False),
            end_date=to_date(request.end_date, "end_date", required=False),
            rendering_staff_id=request.rendering_staff_id or None,
            staff_member_id=request.staff_member_id or None)
        want = paging.page_request(request)
        page = appointments.list_appointments(self.runner, query, limit=want.size,
                                              after=want.after)
        return pb.ListAppointmentsResponse(
            appointments=[m.appointment_to_proto(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def CancelAppointment(self, request, context):
        ref = ref_of(request, APPOINTMENT_RULES["CancelAppointment"])
        initiated_by = m.INITIATORS.to_domain(request.initiated_by, "initiated_by")
        if not initiated_by:
            raise FieldViolation("initiated_by", "is required: "
                                 f"{' or '.join(m.INITIATORS.names())}")
        visits.cancel_appointment(visits.CancelAppointment(
            ref=ref, reason=request.reason, initiated_by=Initiator(initiated_by)),
            self.runner, self.policy)
        return pb.CancelAppointmentResponse(appointment=appointment_message(ref, self.runner))

    def RescheduleAppointment(self, request, context):
        ref = ref_of(request, APPOINTMENT_RULES["RescheduleAppointment"])
        appointments.reschedule_appointment(appointments.RescheduleAppointment(
            location_id=ref.location_id, appointment_id=ref.appointment_id,
            start=m.instant(request.start_time, "start_time"),
            end=m.instant(request.end_time, "end_time", required=False),
            resource_ids=tuple(request.resource_ids), key=ref.key, scope=ref.scope),
            self.runner, self.policy)
        return pb.RescheduleAppointmentResponse(
            appointment=appointment_message(ref, self.runner))
