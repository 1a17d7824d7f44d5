"""An appointment named in a request, as the service layer takes it."""

from __future__ import annotations

from clinic_common.runner import RequestKey, Runner

from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.permissions import visible_locations
from clinic_scheduling.service_layer import appointments
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork
from clinic_scheduling.service_layer.visits import AppointmentRef


def ref_of(request, method_rule) -> AppointmentRef:
    """The appointment in ``request.name``; at "locations/-", scoped to the caller's
    locations under the method's rule."""
    location_id, appointment_id = m.ANY_APPOINTMENT.parse(request.name)
    scope = visible_locations(method_rule) if location_id == "-" else None
    return AppointmentRef(location_id=location_id, appointment_id=appointment_id,
                          key=RequestKey.of(request), scope=scope)


def appointment_message(ref: AppointmentRef, runner: Runner[SchedulingUnitOfWork]):
    return m.appointment_to_proto(appointments.get_appointment(
        ref.location_id, ref.appointment_id, runner, ref.scope))
