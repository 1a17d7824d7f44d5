"""Where appointments are kept: the port and its SQL adapter."""

from __future__ import annotations

import abc
import datetime as dt

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic_scheduling.adapters import tables
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import (
    HOLDING,
    Appointment,
    ResourceBooking,
    StaffAssignment,
)

# The database constraints that stop a double booking, and the reason each one means.
BOOKING_CONSTRAINTS = {
    "ex_appointments_patient_overlap": "PATIENT_ALREADY_BOOKED",
    "ex_appointment_resources_overlap": "RESOURCE_ALREADY_BOOKED",
    "ex_appointment_staff_overlap": "STAFF_ALREADY_BOOKED",
}


# Longer than any visit (each fits inside one opening interval of one day; two days leave
# room for a 25-hour day): a booking that overlaps a window starts less than this before
# it, which bounds the window loaders' index range scans from below (they would otherwise
# scan the history from the first booking on).
LONGEST_VISIT = dt.timedelta(days=2)


def violated_constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


class AppointmentRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, appointment: Appointment) -> None:
        """Store a booking; BookingRaceLost when the database sees an overlap."""

    @abc.abstractmethod
    def flush(self) -> None:
        """Write pending changes now; BookingRaceLost when the database sees an overlap."""

    @abc.abstractmethod
    def get(self, location_id: str, appointment_id: str) -> Appointment | None: ...

    @abc.abstractmethod
    def get_any(self, appointment_id: str) -> Appointment | None:
        """The appointment with this id at whichever location holds it."""

    @abc.abstractmethod
    def patient_is_booked(self, patient_id: str, start: dt.datetime, end: dt.datetime,
                          excluding: str | None = None) -> bool:
        """Whether the patient holds another slot overlapping [start, end), other than the
        appointment ``excluding`` (one being moved)."""

    @abc.abstractmethod
    def busy_resources(self, location_id: str, start: dt.datetime, end: dt.datetime,
                       excluding: str | None = None) -> set[str]:
        """Ids of the location's resources held by a booking overlapping [start, end), other
        than the appointment ``excluding``."""

    @abc.abstractmethod
    def resource_bookings(self, location_ids: list[str], start: dt.datetime,
                          end: dt.datetime) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
        """(location, resource, start, end) of the active bookings of those locations'
        resources overlapping [start, end): what a search loads once for its window."""

    @abc.abstractmethod
    def staff_bookings(self, staff_ids: list[str], start: dt.datetime, end: dt.datetime
                       ) -> list[tuple[str, bool, dt.datetime, dt.datetime]]:
        """(staff member, exclusive, start, end) of their active assignments anywhere
        overlapping [start, end)."""

    @abc.abstractmethod
    def patient_bookings(self, patient_id: str, start: dt.datetime,
                         end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """(start, end) of the patient's slots (as patient_is_booked counts them) overlapping
        [start, end)."""

    @abc.abstractmethod
    def resources_booked_after(self, location_id: str, resource_ids: set[str],
                               now: dt.datetime) -> set[str]:
        """Which of these resources are held by a booking that has not ended by ``now``."""

    @abc.abstractmethod
    def staff_load(self, staff_ids: list[str], start: dt.datetime, end: dt.datetime,
                   excluding: str | None = None) -> dict[str, tuple[int, int]]:
        """Per staff member, overlapping active assignments anywhere: (exclusive, shared)."""

    @abc.abstractmethod
    def of_patient(self, patient_id: str) -> list[Appointment]: ...

    @abc.abstractmethod
    def list(self, *, limit: int, after: list | None, location_ids: frozenset[str] | None,
             patient_id: str | None, start_date: dt.date | None,
             end_date: dt.date | None, rendering_staff_id: str | None = None,
             staff_member_id: str | None = None) -> keyset.Page:
        """A page of appointments in (start_time, appointment_id) order, at the given
        locations (None: every location), of the patient, in the dates of service and
        started by the staff member, where given."""


class SqlAppointmentRepository(AppointmentRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, appointment):
        self.session.add(appointment)
        self.flush()

    def flush(self) -> None:
        """Write pending changes now, so a constraint refuses them here, with a reason."""
        try:
            self.session.flush()
        except IntegrityError as exc:
            reason = BOOKING_CONSTRAINTS.get(violated_constraint(exc))
            if reason is None:
                raise
            raise errors.BookingRaceLost("a concurrent booking took the slot first",
                                         reason=reason) from None

    def get(self, location_id, appointment_id):
        appointment = self.session.get(Appointment, appointment_id)
        if appointment is None or appointment.location_id != location_id:
            return None
        return appointment

    def get_any(self, appointment_id):
        return self.session.get(Appointment, appointment_id)

    def patient_is_booked(self, patient_id, start, end, excluding=None):
        A = Appointment
        query = select(A.appointment_id).where(
            A.patient_id == patient_id, A.status.in_([str(s) for s in HOLDING]),
            A.start_time < end, A.end_time > start)
        if excluding:
            query = query.where(A.appointment_id != excluding)
        return self.session.execute(query.limit(1)).first() is not None

    def busy_resources(self, location_id, start, end, excluding=None):
        R = ResourceBooking
        query = select(R.resource_id).where(R.location_id == location_id, R.active,
                                            R.start_time < end, R.end_time > start)
        if excluding:
            query = query.where(R.appointment_id != excluding)
        return set(self.session.scalars(query))

    def staff_load(self, staff_ids, start, end, excluding=None):
        """Per staff member, their active assignments overlapping [start, end) at any
        location: (exclusive ones, shared ones)."""
        if not staff_ids:
            return {}
        S = StaffAssignment
        query = select(S.staff_member_id, S.exclusive).where(
            S.staff_member_id.in_(staff_ids), S.active, S.start_time < end, S.end_time > start)
        if excluding:
            query = query.where(S.appointment_id != excluding)
        load: dict[str, tuple[int, int]] = {}
        for staff_member_id, exclusive in self.session.execute(query):
            held, shared = load.get(staff_member_id, (0, 0))
            load[staff_member_id] = (held + 1, shared) if exclusive else (held, shared + 1)
        return load

    def resource_bookings(self, location_ids, start, end):
        if not location_ids:
            return []
        # Core columns, not mapped attributes: plain rows, without the ORM's loading.
        R = tables.appointment_resources.c
        query = select(R.location_id, R.resource_id, R.start_time, R.end_time).where(
            R.location_id.in_(sorted(location_ids)), R.active, R.start_time < end,
            R.start_time > start - LONGEST_VISIT, R.end_time > start)
        return [tuple(row) for row in self.session.execute(query)]

    def staff_bookings(self, staff_ids, start, end):
        if not staff_ids:
            return []
        S = tables.appointment_staff.c
        query = select(S.staff_member_id, S.exclusive, S.start_time, S.end_time).where(
            S.staff_member_id.in_(sorted(set(staff_ids))), S.active, S.start_time < end,
            S.start_time > start - LONGEST_VISIT, S.end_time > start)
        return [tuple(row) for row in self.session.execute(query)]

    def patient_bookings(self, patient_id, start, end):
        A = tables.appointments.c
        query = select(A.start_time, A.end_time).where(
            A.patient_id == patient_id, A.status.in_([str(s) for s in HOLDING]),
            A.start_time < end, A.start_time > start - LONGEST_VISIT, A.end_time > start)
        return [tuple(row) for row in self.session.execute(query)]

    def resources_booked_after(self, location_id, resource_ids, now):
        if not resource_ids:
            return set()
        R = ResourceBooking
        query = select(R.resource_id).where(R.location_id == location_id, R.active,
                                            R.resource_id.in_(resource_ids), R.end_time > now)
        return set(self.session.scalars(query))

    def of_patient(self, patient_id):
        A = Appointment
        query = select(A).where(A.patient_id == patient_id).order_by(A.start_time)
        return list(self.session.scalars(query))

    def list(self, *, limit, after, location_ids, patient_id, start_date, end_date,
             rendering_staff_id=None, staff_member_id=None):
        A = Appointment
        query = select(A)
        if staff_member_id:
            S = tables.appointment_staff.c
            query = query.where(A.appointment_id.in_(select(S.appointment_id).where(
                S.staff_member_id == staff_member_id)))
        if location_ids is not None:
            query = query.where(A.location_id.in_(sorted(location_ids)))
        if patient_id:
            query = query.where(A.patient_id == patient_id)
        if start_date is not None:
            query = query.where(A.service_date >= start_date)
        if end_date is not None:
            query = query.where(A.service_date <= end_date)
        if rendering_staff_id:
            query = query.where(A.started_by == rendering_staff_id)
        return keyset.fetch(self.session, query, [A.start_time, A.appointment_id], after, limit)
