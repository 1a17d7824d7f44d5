"""The appointment aggregate and its status machine, aligned with FHIR R4 Appointment.status."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.policy import is_late_cancellation

REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Status(StrEnum):
    PROPOSED = "PROPOSED"
    PENDING = "PENDING"
    BOOKED = "BOOKED"
    ARRIVED = "ARRIVED"
    CHECKED_IN = "CHECKED_IN"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"
    NOSHOW = "NOSHOW"
    ENTERED_IN_ERROR = "ENTERED_IN_ERROR"
    WAITLIST = "WAITLIST"


class Initiator(StrEnum):
    """Who asked for a cancellation."""

    PATIENT = "PATIENT"
    CLINIC = "CLINIC"


# Statuses in which an appointment holds its slot and resources. The PostgreSQL
# exclusion constraints of migration 0001 use the same list.
HOLDING = frozenset({Status.BOOKED, Status.ARRIVED, Status.CHECKED_IN, Status.FULFILLED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PROPOSED: frozenset({Status.PENDING, Status.BOOKED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.WAITLIST: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.BOOKED: frozenset({Status.ARRIVED, Status.CHECKED_IN, Status.FULFILLED,
                              Status.CANCELLED, Status.NOSHOW, Status.ENTERED_IN_ERROR}),
    Status.ARRIVED: frozenset({Status.CHECKED_IN, Status.FULFILLED, Status.CANCELLED,
                               Status.ENTERED_IN_ERROR}),
    Status.CHECKED_IN: frozenset({Status.FULFILLED, Status.CANCELLED, Status.ENTERED_IN_ERROR}),
    Status.FULFILLED: frozenset({Status.ENTERED_IN_ERROR}),
}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def require_future(start: dt.datetime, now: dt.datetime) -> None:
    """Visits are booked ahead; the past is recorded by the visit workflow, not booked."""
    if start < now:
        raise errors.StartInPast(
            f"the appointment would start in the past ({start:%Y-%m-%d %H:%M} UTC)")


@dataclass(eq=False)
class ResourceBooking:
    """A resource held by an appointment; the rows the resource exclusion constraint sees."""

    resource_id: str
    location_id: str
    start_time: dt.datetime
    end_time: dt.datetime
    active: bool = True


@dataclass(eq=False)
class StaffAssignment:
    """A staff member an appointment uses, over its whole time. Exclusive assignments (a
    provider, a TMS technician) may not overlap another of the same person; shared ones
    (an RN's infusion chairs, a Spravato observation) count toward the RN's ratio."""

    staff_member_id: str
    role: str  # the need it fills: RN, OBSERVER, PROVIDER, TMS_TECHNICIAN
    location_id: str
    start_time: dt.datetime
    end_time: dt.datetime
    exclusive: bool
    active: bool = True


@dataclass(eq=False)
class HistoryEntry:
    """Where and when an appointment was before a reschedule moved it."""

    revision: int
    start_time: dt.datetime
    end_time: dt.datetime
    resource_list: str  # the resource ids, comma-separated
    changed_at: dt.datetime

    @property
    def resource_ids(self) -> list[str]:
        return [r for r in self.resource_list.split(",") if r]


# Statuses from which an appointment may be moved to another time.
MOVABLE = frozenset({Status.BOOKED})


@dataclass(eq=False)
class Appointment:
    appointment_id: str
    location_id: str
    patient_id: str
    appointment_type: str
    start_time: dt.datetime
    end_time: dt.datetime
    service_date: dt.date
    status: str = Status.BOOKED
    resources: list[ResourceBooking] = field(default_factory=list)
    staff: list[StaffAssignment] = field(default_factory=list)
    cancel_reason: str = ""
    late_cancellation: bool = False
    cancelled_by: str = ""  # an Initiator once cancelled
    rendering_provider_id: str = ""
    revision: int = 0
    history: list[HistoryEntry] = field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @classmethod
    def book(cls, *, location_id: str, patient_id: str, appointment_type: str,
             start: dt.datetime, end: dt.datetime, service_date: dt.date,
             resource_ids: list[str], now: dt.datetime,
             staff: list[tuple[str, str, bool]] = ()) -> Appointment:
        """``staff``: (staff member, the need filled, exclusive) for each staff need."""
        require_future(start, now)
        return cls(appointment_id=new_id(), location_id=location_id, patient_id=patient_id,
                   appointment_type=appointment_type, start_time=start, end_time=end,
                   service_date=service_date, created_at=now, updated_at=now,
                   resources=[ResourceBooking(r, location_id, start, end) for r in resource_ids],
                   staff=[StaffAssignment(i, role, location_id, start, end, exclusive)
                          for i, role, exclusive in staff])

    @property
    def staff_ids(self) -> list[str]:
        return sorted(a.staff_member_id for a in self.staff)

    def assign_staff(self, staff: list[tuple[str, str, bool]]) -> None:
        """Replace the staff (a reschedule picks them again for the new time)."""
        kept = {(a.staff_member_id, a.role): a for a in self.staff}
        wanted = {(i, role): exclusive for i, role, exclusive in staff}
        for assignment in list(self.staff):
            if (assignment.staff_member_id, assignment.role) not in wanted:
                self.staff.remove(assignment)
        for (staff_member_id, role), exclusive in wanted.items():
            assignment = kept.get((staff_member_id, role))
            if assignment is None:
                self.staff.append(StaffAssignment(staff_member_id, role, self.location_id,
                                                  self.start_time, self.end_time, exclusive))
            else:
                assignment.start_time, assignment.end_time = self.start_time, self.end_time

    @property
    def resource_ids(self) -> list[str]:
        return sorted(r.resource_id for r in self.resources)

    def cancel(self, reason: str, initiator: Initiator, now: dt.datetime,
               late_window: dt.timedelta, *, fee_applies: bool = True) -> None:
        """Cancel; late only when the patient cancels inside the window and the type
        carries a late-cancel fee. The clinic's own cancellations are never late."""
        if not REASON.match(reason):
            raise errors.field("reason", "is required: a lowercase word such as "
                               "'patient_request'")
        self._move(Status.CANCELLED, now)
        self.cancel_reason = reason
        self.cancelled_by = initiator
        self.late_cancellation = initiator == Initiator.PATIENT and fee_applies and \
            is_late_cancellation(self.start_time, now, late_window)

    def reschedule(self, start: dt.datetime, end: dt.datetime, service_date: dt.date,
                   resource_ids: list[str], now: dt.datetime) -> None:
        """Move to a new time (the caller checked it is free), keeping the old in history."""
        if self.status not in MOVABLE:
            raise errors.InvalidStatusTransition(self.appointment_id, self.status, "RESCHEDULED")
        require_future(start, now)
        self.history.append(HistoryEntry(self.revision, self.start_time, self.end_time,
                                         ",".join(self.resource_ids), now))
        self.revision += 1
        self.start_time, self.end_time, self.service_date = start, end, service_date
        kept = {r.resource_id: r for r in self.resources}
        for booking in list(self.resources):
            if booking.resource_id not in resource_ids:
                self.resources.remove(booking)
        for resource_id in resource_ids:
            booking = kept.get(resource_id)
            if booking is None:
                self.resources.append(ResourceBooking(resource_id, self.location_id, start, end))
            else:
                booking.start_time, booking.end_time = start, end
        self.updated_at = now

    def mark_no_show(self, now: dt.datetime) -> None:
        self._require_started(now)
        self._move(Status.NOSHOW, now)

    def complete(self, now: dt.datetime, rendering_provider_id: str = "") -> None:
        """Discharged: only once the visit started (a completion before the booked start
        is a mistake, and would bill a visit that has not happened)."""
        if now < self.start_time:
            raise errors.VisitNotStarted(self.appointment_id, self.start_time)
        self._move(Status.FULFILLED, now)
        self.rendering_provider_id = rendering_provider_id

    def withdraw_duplicate(self, now: dt.datetime) -> bool:
        """Release a slot held twice after two patient records were merged.

        Returns True when that cancelled a visit still to happen (and is worth
        announcing); a past visit recorded twice becomes entered-in-error.
        """
        if Status.CANCELLED in TRANSITIONS.get(Status(self.status), ()):
            self._move(Status.CANCELLED, now)
            self.cancel_reason = "duplicate_patient"
            self.cancelled_by = Initiator.CLINIC
            return True
        self._move(Status.ENTERED_IN_ERROR, now)
        return False

    def _require_started(self, now: dt.datetime) -> None:
        if now < self.start_time:
            raise errors.AppointmentNotStarted(self.appointment_id)

    def _move(self, wanted: Status, now: dt.datetime) -> None:
        if wanted not in TRANSITIONS.get(Status(self.status), frozenset()):
            raise errors.InvalidStatusTransition(self.appointment_id, self.status, wanted)
        self.status = wanted
        self.updated_at = now
        for booking in [*self.resources, *self.staff]:
            booking.active = wanted in HOLDING
