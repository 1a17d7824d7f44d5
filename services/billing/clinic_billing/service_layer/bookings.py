"""Upcoming treatment bookings from scheduling's appointment events, and the check of a
patient's bookings against their prior authorizations.

Every change that can move the check (a booking, move, cancellation, no-show or completed
visit; a charge posted or voided by hand; an authorization recorded, changed or voided; a
coverage added or ended; a merge; a payer's kind or codes changed) rechecks the patient's
bookings still to come, in the same transaction, with the patient's account locked first. A booking that
becomes beyond its authorization (or whose problem changes) is announced once
(BookingBeyondAuthorization); one that stops being so loses its flag silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.errors import ClinicError
from clinic_common.runner import Runner

from clinic_billing.adapters.repository import BookingFilter
from clinic_billing.domain import coding, errors
from clinic_billing.domain.booking import Booking, BookingCheck, BookingState, check_bookings
from clinic_billing.domain.coverage import Coverage, primary_on
from clinic_billing.domain.payer import Payer
from clinic_billing.domain.plan import PlanFacts
from clinic_billing.service_layer import charges, messages
from clinic_billing.service_layer.accounts import account_for_posting
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppointmentFacts:
    """What one of scheduling's appointment events says of its appointment."""

    appointment_id: str
    patient_id: str
    start_time: dt.datetime
    service_date: dt.date
    location_id: str = ""
    appointment_type: str = ""
    series_id: str = ""
    revision: int = 0


def booked(uow: BillingUnitOfWork, facts: AppointmentFacts, rules: coding.CodingRules,
           now: dt.datetime) -> None:
    """A new booking; one already known (moved or ended first) only gets what it lacked."""
    known, patient_id = _known(uow, facts, now)
    if known is None:
        uow.bookings.add(_new(facts, patient_id, BookingState.BOOKED, now))
    else:
        known.booked(location_id=facts.location_id, appointment_type=facts.appointment_type,
                     series_id=facts.series_id, now=now)
    recheck(uow, patient_id, rules, now)


def rescheduled(uow: BillingUnitOfWork, facts: AppointmentFacts, rules: coding.CodingRules,
                now: dt.datetime) -> None:
    """A move of a booking still to come, when newer; a move of an unknown appointment
    books it at its new time (its booking may arrive later, or never)."""
    known, patient_id = _known(uow, facts, now)
    if known is None:
        uow.bookings.add(_new(facts, patient_id, BookingState.BOOKED, now))
    elif not known.moved(start_time=facts.start_time, service_date=facts.service_date,
                         revision=facts.revision, now=now):
        return
    recheck(uow, patient_id, rules, now)


def ended(uow: BillingUnitOfWork, facts: AppointmentFacts, state: BookingState,
          rules: coding.CodingRules, now: dt.datetime) -> None:
    """Cancelled, missed or completed: the booking stops counting as scheduled. An end of
    an unknown appointment is kept, so that its booking arriving later counts nothing."""
    known, patient_id = _known(uow, facts, now)
    if known is None:
        uow.bookings.add(_new(facts, patient_id, state, now))
    elif not known.end(state, now) and state != BookingState.COMPLETED:
        return
    # A completed visit's charges changed the units used: recheck even when it was known.
    recheck(uow, patient_id, rules, now)


def recheck(uow: BillingUnitOfWork, patient_id: str, rules: coding.CodingRules,
            now: dt.datetime) -> None:
    """Checks the patient's bookings still to come against their authorizations, and
    recounts each authorization's scheduled units."""
    uow.flush()
    to_come = [b for b in uow.bookings.to_come(patient_id) if b.counts]
    payers = _expect(uow, patient_id, to_come, rules)
    authorizations = uow.authorizations.of_patient(patient_id)

    def required(payer_id: str, code: str) -> bool:
        if payer_id not in payers:
            payers[payer_id] = uow.payers.get(payer_id)
        payer = payers[payer_id]
        return payer is not None and payer.requires_authorization(code)

    checked = check_bookings(authorizations, to_come, required)
    for auth in authorizations:
        _set(auth, units_scheduled=checked.scheduled.get(auth.prior_authorization_id, 0))
    for booking in to_come:
        _flag(uow, booking, checked.checks[booking.appointment_id], now)


def _expect(uow: BillingUnitOfWork, patient_id: str, to_come: list[Booking],
            rules: coding.CodingRules) -> dict[str, Payer | None]:
    """Sets each booking's payer (its day's primary coverage's) and expected lines; returns
    the payers read, held so that the session's identity map answers each one again."""
    coverages = uow.coverages.for_patient(patient_id)
    tms_seen = uow.charges.has_posted(patient_id, _tms_codes(rules))
    plans = uow.plans.for_patient(patient_id)
    payers: dict[str, Payer | None] = {}
    for booking in to_come:
        coverage = primary_on(coverages, booking.service_date)
        if coverage is not None and coverage.payer_id not in payers:
            payers[coverage.payer_id] = uow.payers.get(coverage.payer_id)
        first_tms = None
        if booking.appointment_type in rules.tms_types:  # the first TMS booking, if none stands
            first_tms, tms_seen = not tms_seen, True
        _set(booking, payer_id=coverage.payer_id if coverage is not None else "",
             lines=expected_lines(uow, booking, coverage, rules, first_tms, plans))
    return payers


def expected_lines(uow: BillingUnitOfWork, booking: Booking, coverage: Coverage | None,
                   rules: coding.CodingRules, first_tms: bool | None,
                   plans: list[PlanFacts] | None = None) -> list[list]:
    """The [code, units] a booked visit is expected to bill: its appointment type coded as
    a completed visit that reports nothing (the plan's dose and infusion length, level 3
    for a follow-up, 90792 for an evaluation). A type the rules do not code bills what
    scheduling reports at the visit: nothing expected."""
    visit = charges.CompletedVisit(
        appointment_id=booking.appointment_id, patient_id=booking.patient_id,
        service_date=booking.service_date, lines=[], location_id=booking.location_id,
        appointment_type=booking.appointment_type, first_tms_session=first_tms)
    try:
        lines = coding.code_visit(charges.visit_facts(uow, visit, booking.patient_id, [],
                                                      coverage, rules, plans), rules)
    except ClinicError as error:
        log.info("booking not coded", extra={"appointment_id": booking.appointment_id,
                                              "reason": error.reason})
        return []
    return [[line.procedure_code, line.units] for line in lines]


def list_beyond_authorization(runner: Runner[BillingUnitOfWork], patient_id: str,
                              as_of: dt.date | None, *, limit: int,
                              after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.bookings.beyond_authorization(
        BookingFilter(patient_id, as_of), limit=limit, after=after))


def _flag(uow: BillingUnitOfWork, booking: Booking, check: BookingCheck,
          now: dt.datetime) -> None:
    """Keeps the check on the booking; announces a problem that is new (another problem, or
    past another authorization), not a detail that moved with the counts."""
    problem = check.problem.value if check.problem is not None else ""
    was = (booking.authorization_problem, booking.prior_authorization_id,
           booking.authorization_problem_detail)
    if was == (problem, check.prior_authorization_id, check.detail):
        return
    booking.prior_authorization_id = check.prior_authorization_id
    booking.authorization_problem, booking.authorization_problem_detail = problem, check.detail
    booking.updated_at = now
    if problem and was[:2] != (problem, check.prior_authorization_id):
        uow.emit(messages.booking_beyond_authorization(booking, check.procedure_code,
                                                       check.units), key=booking.patient_id)


def _set(row, **values) -> None:
    """Sets what changed only: a recheck rewrites no row it leaves as it was."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _known(uow: BillingUnitOfWork, facts: AppointmentFacts,
           now: dt.datetime) -> tuple[Booking | None, str]:
    if not facts.appointment_id:
        raise errors.field("appointment_id", "is required")
    known = uow.bookings.get(facts.appointment_id)
    if known is not None:
        return known, known.patient_id
    return None, account_for_posting(uow, facts.patient_id, now).patient_id


def _new(facts: AppointmentFacts, patient_id: str, state: BookingState,
         now: dt.datetime) -> Booking:
    return Booking(appointment_id=facts.appointment_id, patient_id=patient_id,
                   start_time=facts.start_time, service_date=facts.service_date,
                   location_id=facts.location_id, appointment_type=facts.appointment_type,
                   series_id=facts.series_id, revision=facts.revision, state=state,
                   created_at=now, updated_at=now)


def _tms_codes(rules: coding.CodingRules) -> set[str]:
    return {rules.tms_initial, rules.tms_subsequent, rules.tms_motor_threshold}
