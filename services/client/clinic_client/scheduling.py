"""Typed calls of scheduling's services: availability, booking (one visit or a whole
course), a location's appointments, the visit steps.

Ids are taken bare or as names (``A1`` or ``locations/-/appointments/A1``), days as
``datetime.date`` or ``YYYY-MM-DD``, times as timezone-aware ``datetime``. Methods
not wrapped here are called by name: ``clinic.scheduling.call("clinic.scheduling.v1.
WaitlistService/ListWaitlistEntries", ...)`` (the same token, deadline and retries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from clinic_client.calls import Caller

V1 = "clinic.scheduling.v1"
AVAILABILITY = f"{V1}.AvailabilityService/SearchAvailability"
APPOINTMENTS = f"{V1}.AppointmentService"
SERIES = f"{V1}.SeriesService"
VISITS = f"{V1}.VisitService"
LOCATIONS = f"{V1}.LocationService"
VISIT_STEPS = ("CheckInAppointment", "StartVisit", "RecordVisitVitals", "EndVisit",
               "DischargeVisit", "CompleteAppointment", "MarkAppointmentNoShow")


def day(value: dt.date | str) -> dict:
    """A ``google.type.Date`` from a date or ``YYYY-MM-DD``."""
    value = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return {"year": value.year, "month": value.month, "day": value.day}


def timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    """A timestamp from an aware datetime (a naive one is refused: whose clock would it be?)."""
    if value.tzinfo is None:
        raise ValueError(f"{value} has no time zone; give an aware datetime")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(dt.UTC))
    return stamp


def appointment_name(appointment: str) -> str:
    return appointment if "/" in appointment else f"locations/-/appointments/{appointment}"


class SchedulingClient:
    def __init__(self, caller: Caller):
        self.caller = caller
        self.call, self.pages, self.request = caller.call, caller.pages, caller.request

    # Locations
    def get_location(self, location: str) -> Message:
        name = location if location.startswith("locations/") else f"locations/{location}"
        return self.call(f"{LOCATIONS}/GetLocation", name=name).location

    # Availability and booking
    def search_availability(self, appointment_type: str, start: dt.date | str,
                            end: dt.date | str, *, locations: Sequence[str] = (),
                            patient_id: str = "", staff_member_id: str = "") -> Iterator[Message]:
        """Open start times, earliest first, page after page (no locations: every location
        the caller may book at)."""
        return self.pages(AVAILABILITY, "slots", appointment_type=appointment_type,
                          start_date=day(start), end_date=day(end), location_ids=list(locations),
                          patient_id=patient_id, staff_member_id=staff_member_id)

    def book_appointment(self, patient_id: str, *, location_id: str, appointment_type: str,
                         start: dt.datetime, resource_ids: Sequence[str] = ()) -> Message:
        return self.call(f"{APPOINTMENTS}/CreateAppointment", parent=f"locations/{location_id}",
                         appointment={"location_id": location_id, "patient_id": patient_id,
                                      "appointment_type": appointment_type,
                                      "start_time": timestamp(start),
                                      "resource_ids": list(resource_ids)}).appointment

    def book_series(self, patient_id: str, appointment_type: str, **preferences) -> Message:
        """The whole course of the patient's active plan, all sessions or none
        (``preferences``: SeriesPreferences' fields, e.g. ``location_ids``, ``weekdays``)."""
        return self.call(f"{SERIES}/BookSeries", parent=f"patients/{patient_id}",
                         appointment_type=appointment_type, preferences=preferences).series

    def get_appointment(self, appointment: str) -> Message:
        return self.call(f"{APPOINTMENTS}/GetAppointment",
                         name=appointment_name(appointment)).appointment

    def cancel_appointment(self, appointment: str, *, reason: str = "",
                           by: str = "patient") -> Message:
        return self.call(f"{APPOINTMENTS}/CancelAppointment", name=appointment_name(appointment),
                         reason=reason,
                         initiated_by=f"CANCELLATION_INITIATOR_{by.upper()}").appointment

    def reschedule_appointment(self, appointment: str, start: dt.datetime,
                               resource_ids: Sequence[str] = ()) -> Message:
        return self.call(f"{APPOINTMENTS}/RescheduleAppointment",
                         name=appointment_name(appointment), start_time=timestamp(start),
                         resource_ids=list(resource_ids)).appointment

    def appointments(self, location_id: str, start: dt.date | str, end: dt.date | str | None = None,
                     *, patient_id: str = "", rendering_staff_id: str = "",
                     staff_member_id: str = "") -> Iterator[Message]:
        """A location's appointments from ``start`` to ``end`` (default: that one day); with
        ``staff_member_id``, those the staff member is booked on."""
        return self.pages(f"{APPOINTMENTS}/ListAppointments", "appointments",
                          parent=f"locations/{location_id}", start_date=day(start),
                          end_date=day(end if end is not None else start),
                          patient_id=patient_id, rendering_staff_id=rendering_staff_id,
                          staff_member_id=staff_member_id)

    # The visit's steps
    def visit_step(self, step: str, appointment: str, **fields) -> Message:
        """One step of the visit (``VISIT_STEPS``: ``CheckInAppointment`` ... with its fields,
        e.g. ``escort_confirmed=True``)."""
        if step not in VISIT_STEPS:
            raise ValueError(f"{step}: one of {', '.join(VISIT_STEPS)}")
        return self.call(f"{VISITS}/{step}", name=appointment_name(appointment),
                         **fields).appointment
