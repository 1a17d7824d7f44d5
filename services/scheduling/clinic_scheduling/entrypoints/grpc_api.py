"""SchedulingService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.scheduling.v1 import scheduling_service_pb2 as pb
from clinic.scheduling.v1 import scheduling_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey, Runner

from clinic_scheduling.domain.location_details import FIELDS
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.permissions import visible_locations
from clinic_scheduling.service_layer import appointments, locations, visits
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


class SchedulingServicer(pb_grpc.SchedulingServiceServicer):
    def __init__(self, runner: Runner[SchedulingUnitOfWork], policy: SchedulingPolicy):
        self.runner = runner
        self.policy = policy

    # Locations ------------------------------------------------------------------------------

    def CreateLocation(self, request, context):
        location_id = request.location_id
        locations.create_location(locations.CreateLocation(
            location_id=location_id, details=m.details_from_proto(request.location),
            key=RequestKey.of(request)), self.runner, self.policy)
        return pb.CreateLocationResponse(location=self._location(location_id))

    def GetLocation(self, request, context):
        return pb.GetLocationResponse(
            location=self._location(m.LOCATION.parse_one(request.name)))

    def ListLocations(self, request, context):
        want = paging.page_request(request)
        page = locations.list_locations(self.runner, limit=want.size, after=want.after)
        return pb.ListLocationsResponse(
            locations=[m.location_to_proto(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdateLocation(self, request, context):
        location_id = m.LOCATION.parse_one(request.location.name, "location.name")
        paths = set(request.update_mask.paths) or set(FIELDS)
        unknown = sorted(paths - set(FIELDS))
        if unknown:
            raise FieldViolation("update_mask", f"cannot update {', '.join(unknown)}; "
                                 f"updatable: {', '.join(FIELDS)}")
        locations.update_location(locations.UpdateLocation(
            location_id=location_id, details=m.details_from_proto(request.location),
            fields=frozenset(paths), key=RequestKey.of(request)), self.runner, self.policy)
        return pb.UpdateLocationResponse(location=self._location(location_id))

    def _location(self, location_id: str):
        return m.location_to_proto(locations.get_location(location_id, self.runner))

    # Appointments ---------------------------------------------------------------------------

    def CreateAppointment(self, request, context):
        location_id = m.LOCATION.parse_one(request.parent, "parent")
        if not request.HasField("appointment"):
            raise FieldViolation("appointment", "is required")
        a = request.appointment
        booked = appointments.book_appointment(appointments.BookAppointment(
            location_id=location_id, patient_id=a.patient_id, appointment_type=a.appointment_type,
            start=m.instant(a.start_time, "appointment.start_time"),
            end=m.instant(a.end_time, "appointment.end_time", required=False),
            resource_ids=tuple(a.resource_ids), key=RequestKey.of(request)), self.runner)
        return pb.CreateAppointmentResponse(appointment=m.appointment_to_proto(booked))

    def GetAppointment(self, request, context):
        return pb.GetAppointmentResponse(
            appointment=self._appointment(*m.APPOINTMENT.parse(request.name)))

    def ListAppointments(self, request, context):
        location_id = m.location_filter_from_parent(request.parent)
        query = appointments.AppointmentQuery(
            location_ids=frozenset({location_id}) if location_id else visible_locations(),
            patient_id=request.patient_id or None,
            start_date=to_date(request.start_date, "start_date", required=False),
            end_date=to_date(request.end_date, "end_date", required=False))
        want = paging.page_request(request)
        page = appointments.list_appointments(self.runner, query, limit=want.size,
                                              after=want.after)
        return pb.ListAppointmentsResponse(
            appointments=[m.appointment_to_proto(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def CancelAppointment(self, request, context):
        ref = self._ref(request)
        visits.cancel_appointment(visits.CancelAppointment(ref=ref, reason=request.reason),
                                  self.runner, self.policy)
        return pb.CancelAppointmentResponse(
            appointment=self._appointment(ref.location_id, ref.appointment_id))

    def MarkAppointmentNoShow(self, request, context):
        ref = self._ref(request)
        visits.mark_no_show(ref, self.runner)
        return pb.MarkAppointmentNoShowResponse(
            appointment=self._appointment(ref.location_id, ref.appointment_id))

    def CompleteAppointment(self, request, context):
        ref = self._ref(request)
        if request.administered_dose_mcg < 0:
            raise FieldViolation("administered_dose_mcg", "must not be negative")
        if len(request.rendering_provider_id) > 64:
            raise FieldViolation("rendering_provider_id", "is longer than 64 characters")
        visits.complete_appointment(visits.CompleteAppointment(
            ref=ref, rendering_provider_id=request.rendering_provider_id,
            administered_dose_mcg=request.administered_dose_mcg), self.runner)
        return pb.CompleteAppointmentResponse(
            appointment=self._appointment(ref.location_id, ref.appointment_id))

    @staticmethod
    def _ref(request) -> visits.AppointmentRef:
        location_id, appointment_id = m.APPOINTMENT.parse(request.name)
        return visits.AppointmentRef(location_id=location_id, appointment_id=appointment_id,
                                     key=RequestKey.of(request))

    def _appointment(self, location_id: str, appointment_id: str):
        return m.appointment_to_proto(
            appointments.get_appointment(location_id, appointment_id, self.runner))
