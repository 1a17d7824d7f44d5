"""Translation between scheduling's protobuf messages and its domain. No rules here."""

from __future__ import annotations

import datetime as dt

from clinic.scheduling.v1 import appointment_pb2, appointment_type_pb2, location_pb2
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD, Name
from clinic_common.protoconv import EnumMap, fill_date, from_timestamp, timestamp, to_date

from clinic_scheduling.domain.appointment import Appointment
from clinic_scheduling.domain.appointment_type import STAFF, AppointmentType, PartValue
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.location_details import ClosureSpec, LocationDetails, ResourceSpec
from clinic_scheduling.domain.policy import HoursSpec
from clinic_scheduling.entrypoints.visit_messages import fill_visit

LOCATION = Name("locations/{location}")
# A list's parent: one location, or "locations/-" for every location (AIP-159).
LOCATIONS = Name("locations/{location}", wildcard=True)
APPOINTMENT = Name("locations/{location}/appointments/{appointment}")
# An appointment's name as a request may give it: "locations/-/appointments/{id}" finds
# it at whichever location of the caller's scope holds it.
ANY_APPOINTMENT = Name("locations/{location}/appointments/{appointment}", wildcard=True)
APPOINTMENT_TYPE = Name("appointmentTypes/{appointment_type}")
RESOURCE_KINDS = EnumMap(location_pb2.ResourceKind)
PART_KINDS = EnumMap(appointment_type_pb2.AppointmentTypePartKind)
STATUSES = EnumMap(appointment_pb2.AppointmentStatus)
INITIATORS = EnumMap(appointment_pb2.CancellationInitiator)


def location_filter_from_parent(parent: str) -> str | None:
    """The location of a list's parent; None for "locations/-" (every location)."""
    location_id = LOCATIONS.parse_one(parent, "parent")
    return None if location_id == WILDCARD else location_id


def instant(stamp, field: str, *, required: bool = True) -> dt.datetime | None:
    """A Timestamp field as an aware UTC datetime."""
    return from_timestamp(stamp, field, required=required)


def _time(message: location_pb2.TimeOfDay, field: str) -> dt.time:
    if not (0 <= message.hours <= 23 and 0 <= message.minutes <= 59):
        raise FieldViolation(field, "hours must be 0-23 and minutes 0-59")
    return dt.time(message.hours, message.minutes)


def details_from_proto(message: location_pb2.Location) -> LocationDetails:
    return LocationDetails(
        display_name=message.display_name, time_zone=message.time_zone,
        weekly_hours=tuple(HoursSpec(h.weekday, _time(h.open_time, "location.weekly_hours"),
                                     _time(h.close_time, "location.weekly_hours"))
                           for h in message.weekly_hours),
        closures=tuple(ClosureSpec(to_date(c.date, "location.closures.date"), c.reason)
                       for c in message.closures),
        certifications=tuple(message.certifications),
        appointment_types=tuple(message.appointment_types),
        resources=tuple(ResourceSpec(r.resource_id, RESOURCE_KINDS.lenient(r.kind), r.display_name)
                        for r in message.resources))


def location_to_proto(location: Location) -> location_pb2.Location:
    message = location_pb2.Location(
        name=LOCATION.format(location.location_id), location_id=location.location_id,
        display_name=location.display_name, time_zone=location.time_zone,
        certifications=sorted(c.code for c in location.certifications),
        appointment_types=sorted(t.code for t in location.offered_types),
        create_time=timestamp(location.created_at), update_time=timestamp(location.updated_at))
    for hours in sorted(location.weekly_hours, key=lambda h: (h.weekday, h.open_time)):
        message.weekly_hours.add(
            weekday=hours.weekday,
            open_time=location_pb2.TimeOfDay(hours=hours.open_time.hour,
                                             minutes=hours.open_time.minute),
            close_time=location_pb2.TimeOfDay(hours=hours.close_time.hour,
                                              minutes=hours.close_time.minute))
    for closure in sorted(location.closures, key=lambda c: c.date):
        fill_date(message.closures.add(reason=closure.reason).date, closure.date)
    for resource in sorted(location.resources, key=lambda r: r.resource_id):
        message.resources.add(resource_id=resource.resource_id,
                              kind=RESOURCE_KINDS.to_proto(resource.kind),
                              display_name=resource.display_name)
    return message


def appointment_to_proto(appointment: Appointment) -> appointment_pb2.Appointment:
    message = appointment_pb2.Appointment(
        name=APPOINTMENT.format(appointment.location_id, appointment.appointment_id),
        appointment_id=appointment.appointment_id, location_id=appointment.location_id,
        patient_id=appointment.patient_id, appointment_type=appointment.appointment_type,
        start_time=timestamp(appointment.start_time), end_time=timestamp(appointment.end_time),
        status=STATUSES.to_proto(appointment.status),
        resource_ids=appointment.resource_ids, cancel_reason=appointment.cancel_reason,
        late_cancellation=appointment.late_cancellation,
        cancellation_initiator=INITIATORS.to_proto(appointment.cancelled_by)
        if appointment.cancelled_by else 0,
        create_time=timestamp(appointment.created_at),
        update_time=timestamp(appointment.updated_at), revision=appointment.revision,
        series_id=appointment.series_id,
        history=[appointment_pb2.AppointmentHistoryEntry(
            revision=h.revision, start_time=timestamp(h.start_time),
            end_time=timestamp(h.end_time), resource_ids=h.resource_ids,
            change_time=timestamp(h.changed_at))
            for h in sorted(appointment.history, key=lambda h: h.revision)],
        staff=[appointment_pb2.AppointmentStaff(staff_member_id=a.staff_member_id, role=a.role)
               for a in sorted(appointment.staff, key=lambda a: (a.role, a.staff_member_id))])
    fill_date(message.service_date, appointment.service_date)
    fill_visit(message, appointment)
    return message


def appointment_type_to_proto(kind: AppointmentType) -> appointment_type_pb2.AppointmentType:
    return appointment_type_pb2.AppointmentType(
        name=APPOINTMENT_TYPE.format(kind.code), code=kind.code,
        display_name=kind.display_name, duration_minutes=kind.duration_minutes,
        observation_minutes=kind.observation_minutes, modality=kind.modality,
        required_certification=kind.required_certification,
        duration_from_plan=kind.duration_from_plan,
        resource_kinds=[RESOURCE_KINDS.to_proto(code) for code in kind.resource_kinds],
        staff_roles=[n.code for n in kind.needs if n.need_kind == STAFF],
        parts=[appointment_type_pb2.AppointmentTypePart(
            kind=PART_KINDS.to_proto(part.kind), minutes=part.minutes,
            length_from_plan=part.length_from_plan, min_minutes=part.min_minutes,
            max_minutes=part.max_minutes,
            resource_kinds=[RESOURCE_KINDS.to_proto(code) for code in part.resource_kinds],
            staff_roles=list(part.staff_roles)) for part in kind.all_parts()])


def parts_from_proto(parts) -> tuple[PartValue, ...]:
    """The parts as given; unknown enum values read as UNKNOWN_<n> and are refused with the
    known ones named."""
    return tuple(PartValue(
        kind=PART_KINDS.lenient(p.kind), minutes=p.minutes,
        length_from_plan=p.length_from_plan, min_minutes=p.min_minutes,
        max_minutes=p.max_minutes,
        resource_kinds=tuple(RESOURCE_KINDS.lenient(k) for k in p.resource_kinds),
        staff_roles=tuple(p.staff_roles)) for p in parts)
