"""Treatment series: book the whole course of the patient's active plan in one
all-or-nothing transaction, read its progress, rebook one session within the spacing.

A series is the appointments that carry its id (no table of its own): its sessions,
whatever became of them, are its progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.errors import FailedPrecondition
from clinic_common.runner import NO_KEY, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import Appointment, Status, new_id
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.series import (
    SeriesPreferences,
    SeriesTerms,
    check_spacing,
    of_this_plan,
    place_series,
)
from clinic_scheduling.service_layer import announcements, availability
from clinic_scheduling.service_layer.appointment_types import type_of
from clinic_scheduling.service_layer.appointments import (
    DEFAULT_POLICY,
    BookAppointment,
    RescheduleAppointment,
    _book,
    appointment_of,
    known_patient,
    plan_minutes,
    plan_sessions,
    require_treatment_clearance,
    reschedule_appointment,
)
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

COMPLETED = frozenset({Status.FULFILLED})
CANCELLED = frozenset({Status.CANCELLED, Status.NOSHOW})
REBOOK_DAYS = 30


@dataclass(frozen=True)
class SeriesView:
    series_id: str
    patient_id: str
    appointment_type: str
    appointments: list[Appointment]
    created_at: dt.datetime | None
    preferences: SeriesPreferences | None = None  # None: booked before they were kept

    def count(self, statuses) -> int:
        return sum(1 for a in self.appointments if a.status in statuses)

    @property
    def booked(self) -> int:
        return sum(1 for a in self.appointments
                   if a.status not in COMPLETED | CANCELLED | {Status.ENTERED_IN_ERROR})

    @property
    def completed(self) -> int:
        return self.count(COMPLETED)

    @property
    def cancelled(self) -> int:
        return self.count(CANCELLED)


@dataclass(frozen=True)
class BookSeries:
    patient_id: str
    appointment_type: str
    preferences: SeriesPreferences
    location_ids: frozenset[str] | None = None  # where the caller may book (None: all)
    key: RequestKey = NO_KEY


def book_series(cmd: BookSeries, runner: Runner[SchedulingUnitOfWork],
                policy: SchedulingPolicy = DEFAULT_POLICY) -> SeriesView:
    """Books every remaining session of the patient's active plan for the type, or nothing.

    The sessions already held of that type count against the plan's number, and the first
    new one keeps the spacing from the last of them. Each session goes through the single
    booking's rules in the same transaction, so any refusal undoes them all."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        patient_id = known_patient(uow, cmd.patient_id)
        c.concerns(patient_id)
        kind = type_of(uow, cmd.appointment_type, "appointment_type")
        if not kind.needs_clearance:
            raise errors.field("appointment_type", "is not a treatment: a series books the "
                               "sessions of a treatment plan")
        require_treatment_clearance(uow, patient_id, kind)
        plan = uow.projections.active_plan(patient_id, kind.modality)
        held = plan_sessions(uow, patient_id, kind)
        left = plan.series_sessions - sum(
            1 for a in held if of_this_plan(plan.created_at, a.start_time))
        if left <= 0:
            raise errors.SeriesComplete(patient_id, plan.series_sessions)
        terms = SeriesTerms(left, plan.min_spacing_hours, plan.series_window_days)
        prefs = cmd.preferences
        if prefs.start_date < c.now.date() - dt.timedelta(days=1):
            raise errors.field("preferences.start_date", "is in the past")
        placed = _place(uow, cmd, kind, patient_id, terms, policy, c.now,
                        already=[a.start_time for a in held])
        series_id = new_id()
        uow.series.add_preferences(series_id, patient_id, prefs, c.now)
        booked = [_book(BookAppointment(
            location_id=s.location_id, patient_id=patient_id, appointment_type=kind.code,
            start=s.start, resource_ids=s.resource_ids), uow, c.now, policy,
            series_id=series_id) for s in placed]
        uow.emit(announcements.series_booked(series_id, patient_id, kind.code, booked),
                 key=patient_id)
        return series_id

    def present(uow: SchedulingUnitOfWork, series_id: str) -> SeriesView:
        return _series(uow, cmd.patient_id, series_id, None)

    return runner.change_and_read("BookSeries", cmd.key, action, present)[1]


CHUNK_DAYS = 7  # the days of open slots worked out at a time while placing a series


def _place(uow, cmd: BookSeries, kind, patient_id: str, terms: SeriesTerms,
           policy: SchedulingPolicy, now: dt.datetime, *, already: list[dt.datetime]):
    """The sessions' slots (see place_series) among the open slots of the window at the
    preferred (or all of the caller's) locations.

    The slots are worked out a week at a time (what is taken over the week loaded in a few
    queries) until the placement is settled: the greedy placement looks at slots in time
    order and stops at the last session, so once all sessions are placed before the
    earliest start the days not yet worked out could hold, those days cannot change it. A
    refusal is decided over the whole window, as before."""
    prefs = cmd.preferences
    wanted = frozenset(prefs.location_ids) if prefs.location_ids else cmd.location_ids
    if cmd.location_ids is not None and prefs.location_ids:
        outside = sorted(wanted - cmd.location_ids)
        if outside:
            raise errors.LocationNotFound(outside[0])
    last = prefs.window_end(terms)
    q = availability.AvailabilityQuery(appointment_type=kind.code, start_date=prefs.start_date,
                                       end_date=last, location_ids=wanted,
                                       patient_id=patient_id)
    places = availability._locations(uow, q, kind)
    minutes = plan_minutes(uow, patient_id, kind)
    staff = availability.staff_of(uow, places, kind, "")
    slots = []
    day = prefs.start_date
    while True:
        until = min(day + dt.timedelta(days=CHUNK_DAYS - 1), last)
        taken = availability.Taken.load(uow, places, staff, patient_id, day, until, now)
        while day <= until:
            if not prefs.weekdays or day.isoweekday() in prefs.weekdays:
                for location in places:
                    slots += availability._slots_on(uow, q, kind, location, day, minutes,
                                                    policy, now, taken,
                                                    staff[location.location_id])
            day += dt.timedelta(days=1)
        if day > last or not places:
            return place_series(terms, prefs, slots, already=already)
        try:
            placed = place_series(terms, prefs, slots, already=already)
        except errors.SeriesDoesNotFit:
            continue
        settled = min(dt.datetime.combine(day, dt.time(0), loc.zone) for loc in places)
        if placed[-1].start < settled:
            return placed


def _series(uow: SchedulingUnitOfWork, patient_id: str, series_id: str,
            scope: frozenset[str] | None) -> SeriesView:
    mine = [a for a in uow.appointments.of_patient(patient_id) if a.series_id == series_id]
    if not series_id or not mine:
        raise errors.SeriesNotFound(patient_id, series_id)
    return _view(uow, patient_id, series_id, mine, scope)


def _view(uow: SchedulingUnitOfWork, patient_id, series_id, mine: list[Appointment],
          scope) -> SeriesView:
    shown = sorted((a for a in mine if scope is None or a.location_id in scope),
                   key=lambda a: (a.start_time, a.appointment_id))
    return SeriesView(series_id, patient_id, mine[0].appointment_type, shown,
                      min(a.created_at for a in mine), uow.series.preferences(series_id))


def get_series(patient_id: str, series_id: str, runner: Runner[SchedulingUnitOfWork],
               scope: frozenset[str] | None = None) -> SeriesView:
    def read(uow: SchedulingUnitOfWork) -> SeriesView:
        view = _series(uow, patient_id, series_id, scope)
        if not view.appointments:
            raise errors.SeriesNotFound(patient_id, series_id)
        return view
    return runner.read(read)


def list_series(patient_id: str, runner: Runner[SchedulingUnitOfWork],
                scope: frozenset[str] | None, *, limit: int,
                after: list | None) -> tuple[list[SeriesView], list | None]:
    """A patient's series newest first, with the key of the last when more follow."""
    def read(uow: SchedulingUnitOfWork):
        groups: dict[str, list[Appointment]] = {}
        for a in uow.appointments.of_patient(patient_id):
            if a.series_id:
                groups.setdefault(a.series_id, []).append(a)
        views = [_view(uow, patient_id, sid, rows, scope) for sid, rows in groups.items()]
        views = [v for v in views if v.appointments]
        views.sort(key=lambda v: (v.created_at.isoformat(), v.series_id), reverse=True)
        if after is not None:
            views = [v for v in views if [v.created_at.isoformat(), v.series_id] < after]
        page = views[:limit]
        more = len(views) > limit
        return page, ([page[-1].created_at.isoformat(), page[-1].series_id] if more else None)
    return runner.read(read)


@dataclass(frozen=True)
class RebookSession:
    location_id: str
    appointment_id: str
    start: dt.datetime | None  # None: the next available time
    key: RequestKey = NO_KEY
    scope: frozenset[str] | None = None


def rebook_session(cmd: RebookSession, runner: Runner[SchedulingUnitOfWork],
                   policy: SchedulingPolicy = DEFAULT_POLICY) -> None:
    """Moves a session of a series under the booking rules, which keep the plan's spacing
    from the patient's other sessions (its neighbours). With no time, the earliest open
    slot at its location, within REBOOK_DAYS, that keeps the spacing and suits the
    series' preferences (first day, weekdays, start times; a reschedule keeps its
    location)."""
    start = cmd.start
    if start is None:
        start = runner.read(lambda uow: _next_available(uow, cmd, policy, runner.clock()))
    else:
        runner.read(lambda uow: _session(uow, cmd))
    reschedule_appointment(RescheduleAppointment(
        location_id=cmd.location_id, appointment_id=cmd.appointment_id, start=start,
        key=cmd.key, scope=cmd.scope), runner, policy)


def _session(uow: SchedulingUnitOfWork, cmd: RebookSession) -> Appointment:
    appointment = appointment_of(uow, cmd.location_id, cmd.appointment_id, cmd.scope)
    if not appointment.series_id:
        raise errors.NotInSeries(appointment.appointment_id)
    return appointment


def _next_available(uow: SchedulingUnitOfWork, cmd: RebookSession, policy: SchedulingPolicy,
                    now: dt.datetime) -> dt.datetime:
    appointment = _session(uow, cmd)
    kind = type_of(uow, appointment.appointment_type, "name")
    plan = uow.projections.active_plan(appointment.patient_id, kind.modality)
    spacing = plan.min_spacing_hours if plan else 0
    others = [(a.appointment_id, a.start_time) for a in
              plan_sessions(uow, appointment.patient_id, kind, appointment.appointment_id)]
    # The session keeps its place in the series: after the one before, before the next.
    before = [t for _, t in others if t < appointment.start_time]
    after = [t for _, t in others if t > appointment.start_time]
    earliest = max([now, *(t + dt.timedelta(hours=spacing) for t in before)])
    latest = min(after) - dt.timedelta(hours=spacing) if after else None
    location = uow.locations.get(appointment.location_id)
    first = location.local_date(earliest)
    q = availability.AvailabilityQuery(
        appointment_type=kind.code, start_date=first,
        end_date=first + dt.timedelta(days=REBOOK_DAYS),
        location_ids=frozenset({location.location_id}), patient_id=appointment.patient_id)
    minutes = plan_minutes(uow, appointment.patient_id, kind)
    prefs = uow.series.preferences(appointment.series_id)
    staff = availability.staff_of(uow, [location], kind, "")
    taken = availability.Taken.load(uow, [location], staff, appointment.patient_id, first,
                                    q.end_date, now)
    for offset in range(REBOOK_DAYS + 1):
        day = first + dt.timedelta(days=offset)
        for slot in availability._slots_on(uow, q, kind, location, day, minutes, policy, now,
                                           taken, staff[location.location_id]):
            if latest is not None and slot.start > latest:
                break
            if slot.start == appointment.start_time or slot.start < earliest:
                continue
            if prefs is not None and not prefs.suits_time(slot):
                continue
            try:
                check_spacing(slot.start, spacing, others)
            except FailedPrecondition:
                continue
            return slot.start
    order = sorted([*before, appointment.start_time, *after])
    raise errors.SeriesDoesNotFit(
        order.index(appointment.start_time) + 1, len(order),
        f"no open slot at {location.location_id!r} within {REBOOK_DAYS} days keeps the plan's "
        f"{spacing}-hour spacing from its neighbours"
        + (" and suits the series' preferences" if prefs is not None else ""))
