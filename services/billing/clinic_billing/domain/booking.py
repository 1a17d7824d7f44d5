"""Upcoming treatment bookings, as billing keeps them from scheduling's appointment events,
and how they stand against the patient's prior authorizations.

Scheduling's events arrive at least once and in any order, so each event is applied as
far as it is news: an ended booking (cancelled, missed, completed) stays ended, whatever
booking or move of it arrives later; a move applies only when its revision is newer; a
completed visit ends a booking whatever it was (it is charged, and its charges burn the
authorization instead).

A booked visit is expected to bill the lines its appointment type's coding rules give
(see service_layer.bookings.expected_lines). The patient's bookings are checked in date order against
the authorizations as the charges left them: each booking counts the units of the earlier
ones, as if they were charged. A booking is beyond the authorization as a charge would be
(MISSING, EXHAUSTED, OUT_OF_RANGE; see authorization.check_charge).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from clinic_billing.domain.authorization import (
    AuthorizationProblem,
    PriorAuthorization,
    check_charge,
)


class BookingState(enum.StrEnum):
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"
    COMPLETED = "COMPLETED"


@dataclass
class Booking:
    appointment_id: str
    patient_id: str
    start_time: dt.datetime
    service_date: dt.date
    location_id: str = ""
    appointment_type: str = ""
    series_id: str = ""
    revision: int = 0
    state: BookingState = BookingState.BOOKED
    payer_id: str = ""
    lines: list = field(default_factory=list)  # [[procedure_code, units], ...]
    prior_authorization_id: str = ""
    authorization_problem: str = ""
    authorization_problem_detail: str = ""
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)

    @property
    def counts(self) -> bool:
        """Whether it is still to come: booked, not cancelled, missed or completed."""
        return self.state == BookingState.BOOKED

    def booked(self, *, location_id: str, appointment_type: str, series_id: str,
               now: dt.datetime) -> None:
        """A booking event for a booking already known (a move or an end came first): it
        fills in what is missing and changes nothing else."""
        self.location_id = self.location_id or location_id
        self.appointment_type = self.appointment_type or appointment_type
        self.series_id = self.series_id or series_id
        self.updated_at = now

    def moved(self, *, start_time: dt.datetime, service_date: dt.date, revision: int,
              now: dt.datetime) -> bool:
        """A move applies to a booking still to come, when newer than the last one applied."""
        if not self.counts or revision <= self.revision:
            return False
        self.start_time, self.service_date, self.revision = start_time, service_date, revision
        self.updated_at = now
        return True

    def end(self, state: BookingState, now: dt.datetime) -> bool:
        """Cancelled or missed: only a booking still to come; completed: whatever it was."""
        if self.state == state or (state != BookingState.COMPLETED and not self.counts):
            return False
        self.state, self.updated_at = state, now
        self.prior_authorization_id = ""
        self.authorization_problem = self.authorization_problem_detail = ""
        return True


@dataclass(frozen=True)
class BookingCheck:
    """How one booking stands: the authorization it counts against (or goes past), and the
    first of its lines beyond it (None when none is)."""

    prior_authorization_id: str = ""
    problem: AuthorizationProblem | None = None
    detail: str = ""
    procedure_code: str = ""
    units: int = 0


@dataclass(frozen=True)
class BookingsChecked:
    checks: dict[str, BookingCheck]  # by appointment id
    scheduled: dict[str, int]  # units scheduled by authorization id


def check_bookings(authorizations: Sequence[PriorAuthorization], bookings: Sequence[Booking],
                   required: Callable[[str, str], bool]) -> BookingsChecked:
    """Checks ``bookings`` (those still to come, with their payer and lines) in date order
    against copies of the patient's ``authorizations``: each booking burns the copies as
    its charges would, so a later one sees what the earlier ones will have used.
    ``required(payer_id, code)`` says whether the payer wants an authorization for a code.
    A booking without a payer (self-pay) is not checked."""
    copies = [dataclasses.replace(a) for a in authorizations]
    checks: dict[str, BookingCheck] = {}
    scheduled: dict[str, int] = {}
    for booking in sorted((b for b in bookings if b.counts),
                          key=lambda b: (b.service_date, b.start_time, b.appointment_id)):
        if not booking.payer_id:
            checks[booking.appointment_id] = BookingCheck()
            continue
        mine = [a for a in copies if a.payer_id == booking.payer_id]
        check = BookingCheck()
        for code, units in booking.lines:
            result = check_charge(mine, procedure_code=code, service_date=booking.service_date,
                                  units=units, required=required(booking.payer_id, code))
            auth_id = result.authorization.prior_authorization_id if result.authorization \
                else ""
            if result.authorization is not None:
                result.authorization.burn(result.units)
                scheduled[auth_id] = scheduled.get(auth_id, 0) + result.units
            if result.problem is not None and check.problem is None:
                check = BookingCheck(auth_id, result.problem, result.detail, code, units)
            elif not check.prior_authorization_id and check.problem is None:
                check = BookingCheck(auth_id)
        checks[booking.appointment_id] = check
    return BookingsChecked(checks, scheduled)
