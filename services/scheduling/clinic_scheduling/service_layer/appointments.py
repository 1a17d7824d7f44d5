"""Appointment use cases: book, read, list. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.names import WILDCARD
from clinic_common.runner import NO_KEY, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import HOLDING, Appointment, require_future
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.domain.eligibility import require_cleared_with_plan
from clinic_scheduling.domain.hold import CONSUMED, SlotHold
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.series import check_spacing, of_this_plan
from clinic_scheduling.domain.staffing import (
    ROLE_FOR_NEED,
    SHARED_NEEDS,
    NoStaffAvailable,
    pick_staff,
)
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.appointment_types import type_of
from clinic_scheduling.service_layer.hold_lifecycle import end_hold
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

DEFAULT_POLICY = SchedulingPolicy()


@dataclass(frozen=True)
class BookAppointment:
    location_id: str
    patient_id: str
    appointment_type: str
    start: dt.datetime
    end: dt.datetime | None = None
    resource_ids: tuple[str, ...] = ()
    key: RequestKey = NO_KEY
    hold_id: str = ""


def book_appointment(cmd: BookAppointment, runner: Runner[SchedulingUnitOfWork],
                     policy: SchedulingPolicy = DEFAULT_POLICY) -> Appointment:
    """Books a visit after checking every rule; returns the appointment.

    A treatment (a type with a modality) needs the patient cleared for that
    modality under an active plan, as scheduling's projection of intake has it.

    The checks see committed bookings; on PostgreSQL the exclusion constraints
    also stop a concurrent booking that the checks could not see yet. A
    concurrent retry of the same request gets the winner's booking (the runner).
    """
    booked: list[Appointment] = []

    def action(uow: SchedulingUnitOfWork, c) -> str:
        booked.append(_book(cmd, uow, c.now, policy))
        return booked[-1].appointment_id

    def present(uow: SchedulingUnitOfWork, appointment_id: str) -> Appointment:
        mine = [a for a in booked if a.appointment_id == appointment_id]
        return mine[0] if mine else appointment_of(uow, cmd.location_id, appointment_id)

    return runner.change_and_read("CreateAppointment", cmd.key, action, present)[1]


def _book(cmd: BookAppointment, uow: SchedulingUnitOfWork, now: dt.datetime,
          policy: SchedulingPolicy, series_id: str = "") -> Appointment:
    patient_id = known_patient(uow, cmd.patient_id)
    location = uow.locations.for_booking(cmd.location_id)
    if location is None:
        raise errors.LocationUnknown(cmd.location_id)
    kind = type_of(uow, cmd.appointment_type, "appointment.appointment_type")
    start, end = kind.slot(cmd.start, cmd.end, plan_minutes(uow, patient_id, kind))
    hold = _usable_hold(uow, cmd, kind.code, patient_id, start, now) if cmd.hold_id else None
    # Before the staff rows: a waitlist offer kept by the hold locks its entry first, as an
    # accept and a sweep do, so neither deadlocks with this booking (PostgreSQL).
    offer = _offer_of(uow, hold)
    lock_slot(uow, location, kind)
    candidates = staff_candidates(uow, location, kind)
    wanted = cmd.resource_ids
    if hold is not None:
        wanted = wanted or hold.resource_ids
    resource_ids = _free_slot(uow, location, kind, patient_id, start, end, wanted, now,
                              hold_id=cmd.hold_id or None)
    require_plan_sessions(uow, patient_id, kind, start)
    staff = staff_for(uow, location, kind, start, end, policy, candidates, now=now, held=hold)
    appointment = Appointment.book(
        location_id=location.location_id, patient_id=patient_id, appointment_type=kind.code,
        start=start, end=end, service_date=location.local_date(start),
        resource_ids=resource_ids, now=now, staff=staff, series_id=series_id,
        staff_windows=kind.staff_windows(start, end))
    uow.appointments.add(appointment)
    if hold is not None:
        _consume(uow, hold, offer, appointment, now)
    uow.emit(announcements.booked(appointment), key=patient_id)
    return appointment


def _offer_of(uow: SchedulingUnitOfWork, hold: SlotHold | None):
    """The open waitlist offer the hold keeps, its entry locked (None: none)."""
    # Imported here: the waitlist places holds through the booking rules of this module.
    from clinic_scheduling.service_layer import waitlist_offers

    return waitlist_offers.locked_offer_of_hold(uow, hold.hold_id) if hold else None


def _consume(uow: SchedulingUnitOfWork, hold: SlotHold, offer, appointment: Appointment,
             now: dt.datetime) -> None:
    """Ends the hold the booking used. The hold of an open waitlist offer booked directly
    (CreateAppointment with its hold_id) accepts the offer: the entry is FULFILLED."""
    from clinic_scheduling.service_layer import waitlist_offers

    # The entry, then the offer, then the hold: the order an accept and a sweep lock them.
    if offer is not None:
        waitlist_offers.accept_with_booking(uow, offer, appointment, now)
    if not end_hold(uow, hold, CONSUMED, now, appointment.appointment_id):
        raise errors.HoldNotUsable(f"hold {hold.hold_id!r} was ended meanwhile",
                                   hold_id=hold.hold_id)


def _usable_hold(uow: SchedulingUnitOfWork, cmd: BookAppointment, code: str, patient_id: str,
                 start: dt.datetime, now: dt.datetime) -> SlotHold:
    """The hold the booking names, when it is active and for this visit."""
    hold = uow.holds.get(cmd.location_id, cmd.hold_id)
    if hold is None:
        raise errors.HoldNotFound(cmd.location_id, cmd.hold_id)
    if not hold.active(now):
        raise errors.HoldNotUsable(f"hold {cmd.hold_id!r} is no longer held ({hold.status}, "
                                   f"until {hold.expires_at.isoformat()})",
                                   hold_id=cmd.hold_id)
    if (hold.patient_id, hold.appointment_type, hold.start_time) != (patient_id, code, start):
        raise errors.HoldNotUsable(f"hold {cmd.hold_id!r} is for another patient, type or "
                                   "start", reason="HOLD_MISMATCH", hold_id=cmd.hold_id)
    return hold


def _free_slot(uow: SchedulingUnitOfWork, location: Location, kind: AppointmentType,
               patient_id: str, start: dt.datetime, end: dt.datetime,
               wanted: tuple[str, ...], now: dt.datetime, moving: str | None = None,
               hold_id: str | None = None) -> list[str]:
    """The booking rules for [start, end); returns the resources to hold. ``moving`` is
    an appointment being rescheduled, whose own slot does not count as taken."""
    if not location.offers(kind.code):
        raise errors.AppointmentTypeNotOffered(
            location.location_id, kind.code, sorted(t.code for t in location.offered_types))
    require_treatment_clearance(uow, patient_id, kind)
    require_future(start, now)
    location.check_open(start, end)
    if kind.required_certification and not location.is_certified(kind.required_certification):
        raise errors.LocationNotCertified(location.location_id, kind.required_certification,
                                          kind.code)
    busy = set(uow.appointments.busy_resources(location.location_id, start, end,
                                               excluding=moving))
    busy |= uow.holds.held_resources(location.location_id, start, end, now, excluding=hold_id)
    resource_ids = location.pick_resources(wanted, kind.resource_kinds, busy)
    if uow.appointments.patient_is_booked(patient_id, start, end, excluding=moving):
        raise errors.SlotTaken("the patient has another appointment at that time",
                               reason="PATIENT_ALREADY_BOOKED", patient_id=patient_id)
    return resource_ids


@dataclass(frozen=True)
class RescheduleAppointment:
    location_id: str  # or "-": whichever location of scope holds it
    appointment_id: str
    start: dt.datetime
    end: dt.datetime | None = None
    resource_ids: tuple[str, ...] = ()  # empty: keep the current ones when free
    key: RequestKey = NO_KEY
    scope: frozenset[str] | None = None


def reschedule_appointment(cmd: RescheduleAppointment, runner: Runner[SchedulingUnitOfWork],
                           policy: SchedulingPolicy = DEFAULT_POLICY) -> None:
    """Moves a booked appointment under the booking rules; it keeps its id, and its
    previous time goes to its history. Announced as AppointmentRescheduled."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        appointment = appointment_of(uow, cmd.location_id, cmd.appointment_id, cmd.scope)
        c.concerns(appointment.patient_id)
        move_appointment(uow, appointment, cmd.start, cmd.end, cmd.resource_ids, c.now, policy)
        return appointment.appointment_id

    runner.change("RescheduleAppointment", cmd.key, action)


def move_appointment(uow: SchedulingUnitOfWork, appointment: Appointment, start: dt.datetime,
                     end: dt.datetime | None, resource_ids: tuple[str, ...], now: dt.datetime,
                     policy: SchedulingPolicy) -> None:
    """The reschedule itself: the booking rules at the new time, the move, its announcement,
    and the slot it leaves offered to the waitlist."""
    # Imported here: the waitlist places holds through the booking rules of this module.
    from clinic_scheduling.service_layer import waitlist_offers

    location = uow.locations.for_booking(appointment.location_id)
    kind = type_of(uow, appointment.appointment_type, "name")
    start, end = kind.slot(start, end, plan_minutes(uow, appointment.patient_id, kind))
    lock_slot(uow, location, kind)
    candidates = staff_candidates(uow, location, kind)
    wanted = resource_ids or _still_free(uow, appointment, kind, start, end)
    taken = _free_slot(uow, location, kind, appointment.patient_id, start, end, wanted, now,
                       moving=appointment.appointment_id)
    require_plan_sessions(uow, appointment.patient_id, kind, start,
                          moving=appointment.appointment_id)
    staff = staff_for(uow, location, kind, start, end, policy, candidates,
                      moving=appointment.appointment_id, now=now)
    left = waitlist_offers.freed_by_move(appointment)
    appointment.reschedule(start, end, location.local_date(start), taken, now)
    appointment.assign_staff(staff, kind.staff_windows(start, end))
    uow.appointments.flush()
    uow.emit(announcements.rescheduled(appointment, left.start), key=appointment.patient_id)
    waitlist_offers.offer_freed(uow, left, now, policy)


def plan_sessions(uow: SchedulingUnitOfWork, patient_id: str, kind: AppointmentType,
                  moving: str | None = None) -> list[Appointment]:
    """The patient's sessions of the treatment type that hold or used a place in the plan's
    series (booked, under way or completed; not cancelled or missed), except ``moving``."""
    return [a for a in uow.appointments.of_patient(patient_id)
            if a.appointment_type == kind.code and a.status in HOLDING
            and a.appointment_id != moving]


def require_plan_sessions(uow: SchedulingUnitOfWork, patient_id: str, kind: AppointmentType,
                          start: dt.datetime, moving: str | None = None) -> None:
    """A treatment keeps the active plan's minimum spacing from the patient's other sessions
    of that type (SPACING_TOO_SHORT), and a new one needs a session of the plan left
    (SERIES_COMPLETE)."""
    if not kind.needs_clearance:
        return
    plan = uow.projections.active_plan(patient_id, kind.modality)
    if plan is None:
        return
    sessions = plan_sessions(uow, patient_id, kind, moving)
    used = [a for a in sessions if of_this_plan(plan.created_at, a.start_time)]
    if moving is None and plan.series_sessions and len(used) >= plan.series_sessions:
        raise errors.SeriesComplete(patient_id, plan.series_sessions)
    check_spacing(start, plan.min_spacing_hours,
                  [(a.appointment_id, a.start_time) for a in sessions])


def lock_slot(uow: SchedulingUnitOfWork, location: Location, kind: AppointmentType) -> None:
    """Locks the rows of the location's staff of every role the type needs and of its
    resources of the kinds the type needs, each in id order, staff first, before any check
    reads the bookings and holds. A booking, a reschedule and a hold placement all take
    these locks in this order: a booking and a hold going for the same TMS device, room or
    provider at the same instant run one after the other, and the later one sees the
    earlier's appointment or hold and is refused (PostgreSQL; SQLite serializes writers).
    Without it a booking saw a hold's or a hold saw a booking's uncommitted row neither,
    and both committed (only the RN rows were locked by both)."""
    roles = sorted({ROLE_FOR_NEED[n] for n in kind.staff_needs if n in ROLE_FOR_NEED})
    uow.holds.lock_slot(location.location_id, list(kind.resource_kinds), [
        m.staff_member_id for role in roles
        for m in uow.staff.of_role_at(location.location_id, role)])


def staff_candidates(uow: SchedulingUnitOfWork, location: Location,
                     kind: AppointmentType) -> dict[str, list]:
    """The staff of each role the type needs who work at the location.

    Those of a shared need (an RN's chairs) are row-locked in id order, before any other
    check reads the bookings: two bookings that may use the same RN then run their checks
    one after the other and count her chairs right (PostgreSQL); an exclusive need is
    guarded by the exclusion constraint on appointment_staff. SQLite serializes writers.
    """
    candidates: dict[str, list] = {}
    for need in kind.staff_needs:
        role = ROLE_FOR_NEED.get(need)
        if role and role not in candidates:
            candidates[role] = uow.staff.of_role_at(location.location_id, role,
                                                    lock=need in SHARED_NEEDS)
    return candidates


def staff_for(uow: SchedulingUnitOfWork, location: Location, kind: AppointmentType,
              start: dt.datetime, end: dt.datetime, policy: SchedulingPolicy,
              candidates: dict[str, list], moving: str | None = None, *,
              now: dt.datetime, held: SlotHold | None = None) -> list[tuple[str, str, bool]]:
    """The staff the visit uses, picked among ``candidates`` (see staff_candidates). Their
    load counts their appointments and the active holds keeping them (but ``held``, the
    hold being booked, whose staff are taken when they still can take the visit)."""
    ids = [m.staff_member_id for pool in candidates.values() for m in pool]
    hold_id = held.hold_id if held is not None else None

    def load(begin: dt.datetime, finish: dt.datetime) -> dict[str, tuple[int, int]]:
        return staff_load(uow, ids, begin, finish, now, moving=moving, hold_id=hold_id)

    def pick(pools: dict[str, list]) -> list[tuple[str, str, bool]]:
        return pick_staff(kind.staff_needs, pools, load, location_id=location.location_id,
                          zone=location.zone, start=start, end=end,
                          max_shared=policy.rn_max_chairs, windows=kind.staff_windows(start, end))

    if held is not None and held.staff:
        kept = {member for member, _, _ in held.staff}
        try:
            return pick({role: [m for m in pool if m.staff_member_id in kept]
                         for role, pool in candidates.items()})
        except NoStaffAvailable:
            pass  # a held member left the roster or shifts meanwhile: pick again
    return pick(candidates)


def staff_load(uow: SchedulingUnitOfWork, staff_ids: list[str], start: dt.datetime,
               end: dt.datetime, now: dt.datetime, moving: str | None = None,
               hold_id: str | None = None) -> dict[str, tuple[int, int]]:
    """Per staff member, (exclusive, shared) over [start, end): their active appointments
    (but ``moving``) and the active holds keeping them (but ``hold_id``)."""
    load = dict(uow.appointments.staff_load(staff_ids, start, end, excluding=moving))
    for member, (exclusive, shared) in uow.holds.staff_load(staff_ids, start, end, now,
                                                            excluding=hold_id).items():
        mine = load.get(member, (0, 0))
        load[member] = (mine[0] + exclusive, mine[1] + shared)
    return load


def plan_minutes(uow: SchedulingUnitOfWork, patient_id: str, kind: AppointmentType) -> int:
    """The infusion length of the patient's active plan, for a type whose length it sets."""
    if not kind.duration_from_plan:
        return 0
    plan = uow.projections.active_plan(patient_id, kind.modality)
    return plan.duration_minutes if plan else 0


def _still_free(uow: SchedulingUnitOfWork, appointment: Appointment, kind: AppointmentType,
                start: dt.datetime, end: dt.datetime) -> tuple[str, ...]:
    """The resources the appointment holds that are free at the new time: kept if so."""
    busy = uow.appointments.busy_resources(appointment.location_id, start, end,
                                           excluding=appointment.appointment_id)
    return tuple(r for r in appointment.resource_ids if r not in busy)


def known_patient(uow: SchedulingUnitOfWork, patient_id: str) -> str:
    """The id of a patient intake announced and did not merge away."""
    if not patient_id:
        raise errors.field("appointment.patient_id", "is required")
    patient = uow.projections.patient(patient_id)
    if patient is None:
        raise errors.PatientUnknown(patient_id)
    if patient.merged_into:
        raise errors.PatientMerged(patient_id, patient.merged_into)
    return patient.patient_id


def require_treatment_clearance(uow: SchedulingUnitOfWork, patient_id: str,
                                kind: AppointmentType) -> None:
    """A treatment needs the clearance and the active plan intake announced for its modality,
    and no open suicidality flag."""
    if kind.needs_clearance:
        require_no_open_safety_flag(uow, patient_id)
        require_cleared_with_plan(kind, patient_id,
                                  uow.projections.latest_clearance(patient_id, kind.modality),
                                  uow.projections.active_plan(patient_id, kind.modality))


def require_no_open_safety_flag(uow: SchedulingUnitOfWork, patient_id: str) -> None:
    flag = uow.projections.open_treatment_block(patient_id)
    if flag is not None:
        raise errors.SafetyFlagOpen(patient_id, flag.flag_id)


def appointment_of(uow: SchedulingUnitOfWork, location_id: str, appointment_id: str,
                   scope: frozenset[str] | None = None) -> Appointment:
    """The appointment; at location "-", at whichever location of ``scope`` (None: any)
    holds it, as if it did not exist elsewhere."""
    if location_id == WILDCARD:
        appointment = uow.appointments.get_any(appointment_id)
        if appointment is not None and scope is not None and appointment.location_id not in scope:
            appointment = None
    else:
        appointment = uow.appointments.get(location_id, appointment_id)
    if appointment is None:
        raise errors.AppointmentNotFound(location_id, appointment_id)
    return appointment


def get_appointment(location_id: str, appointment_id: str, runner: Runner[SchedulingUnitOfWork],
                    scope: frozenset[str] | None = None) -> Appointment:
    return runner.read(lambda uow: appointment_of(uow, location_id, appointment_id, scope))


@dataclass(frozen=True)
class AppointmentQuery:
    """Which appointments to list: at these locations (None: all), of a patient, in dates."""

    location_ids: frozenset[str] | None = None
    patient_id: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    rendering_staff_id: str | None = None  # who started the visit's treatment
    staff_member_id: str | None = None  # assigned to the visit by the booking, any role


def list_appointments(runner: Runner[SchedulingUnitOfWork], query: AppointmentQuery, *,
                      limit: int, after: list | None) -> keyset.Page:
    if query.start_date and query.end_date and query.start_date > query.end_date:
        raise errors.field("end_date", "is before start_date")
    return runner.read(lambda uow: uow.appointments.list(
        limit=limit, after=after, location_ids=query.location_ids, patient_id=query.patient_id,
        start_date=query.start_date, end_date=query.end_date,
        rendering_staff_id=query.rendering_staff_id, staff_member_id=query.staff_member_id))
