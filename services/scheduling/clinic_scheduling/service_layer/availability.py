"""Finding a time: the earliest open slots of a type across locations, each with the
resources and staff a booking then would use. Reads only; a slot is not held."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.errors import FailedPrecondition
from clinic_common.runner import Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.staffing import ROLE_FOR_NEED, pick_staff
from clinic_scheduling.service_layer.appointment_types import type_of
from clinic_scheduling.service_layer.appointments import (
    known_patient,
    plan_minutes,
    require_treatment_clearance,
)
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

STEP = dt.timedelta(minutes=15)
MAX_DAYS = 31


@dataclass(frozen=True)
class AvailabilityQuery:
    appointment_type: str
    start_date: dt.date
    end_date: dt.date
    location_ids: frozenset[str] | None = None  # None: every location
    staff_member_id: str = ""
    patient_id: str = ""


@dataclass(frozen=True)
class Slot:
    location_id: str
    time_zone: str
    start: dt.datetime
    end: dt.datetime
    resource_ids: tuple[str, ...]
    staff: tuple[tuple[str, str], ...]  # (staff member, need)

    @property
    def key(self) -> list:
        return [self.start.isoformat(), self.location_id]


def search(q: AvailabilityQuery, runner: Runner[SchedulingUnitOfWork], policy: SchedulingPolicy,
           *, limit: int, after: list | None) -> tuple[list[Slot], list | None]:
    """Up to ``limit`` slots after the key ``after``, earliest first (then by location), and
    the key of the last one when more follow."""
    if q.end_date < q.start_date:
        raise errors.field("end_date", "is before start_date")
    if (q.end_date - q.start_date).days >= MAX_DAYS:
        raise errors.field("end_date", f"a search spans at most {MAX_DAYS} days")

    now = runner.clock()

    def read(uow: SchedulingUnitOfWork):
        kind = type_of(uow, q.appointment_type, "appointment_type")
        minutes = 0
        if q.patient_id:
            patient_id = known_patient(uow, q.patient_id)
            require_treatment_clearance(uow, patient_id, kind)
            minutes = plan_minutes(uow, patient_id, kind)
        places = _locations(uow, q, kind)
        found: list[Slot] = []
        day = q.start_date
        while day <= q.end_date and len(found) <= limit:
            slots = sorted((s for loc in places for s in _slots_on(uow, q, kind, loc, day,
                                                                   minutes, policy, now)),
                           key=lambda s: (s.start, s.location_id))
            found += [s for s in slots if after is None or s.key > after]
            day += dt.timedelta(days=1)
        page = found[:limit]
        return page, (page[-1].key if len(found) > limit else None)

    return runner.read(read)


def _locations(uow: SchedulingUnitOfWork, q: AvailabilityQuery,
               kind: AppointmentType) -> list[Location]:
    if q.location_ids is None:
        every = uow.locations.list(limit=1000, after=None).items
    else:
        every = []
        for location_id in sorted(q.location_ids):
            location = uow.locations.get(location_id)
            if location is None:
                raise errors.LocationNotFound(location_id)
            every.append(location)
    return [loc for loc in every if loc.offers(kind.code) and (
        not kind.required_certification or loc.is_certified(kind.required_certification))]


def _slots_on(uow: SchedulingUnitOfWork, q: AvailabilityQuery, kind: AppointmentType,
              location: Location, day: dt.date, minutes: int, policy: SchedulingPolicy,
              now: dt.datetime):
    if any(c.date == day for c in location.closures):
        return
    candidates = _candidates(uow, location, kind, q.staff_member_id)
    if candidates is None:
        return
    for hours in location.weekly_hours:
        if hours.weekday != day.isoweekday():
            continue
        at = dt.datetime.combine(day, hours.open_time, location.zone)
        closes = dt.datetime.combine(day, hours.close_time, location.zone)
        while True:
            start, end = kind.slot(at.astimezone(dt.UTC), None, minutes)
            if end > closes:
                break
            if start >= now:
                slot = _slot(uow, q, kind, location, start, end, candidates, policy, now)
                if slot is not None:
                    yield slot
            at += STEP


def _candidates(uow: SchedulingUnitOfWork, location: Location, kind: AppointmentType,
                preferred: str) -> dict[str, list] | None:
    """The staff of each needed role at the location; with a preferred staff member, only
    them in their role (None when they cannot staff this type here)."""
    roles = {ROLE_FOR_NEED[n] for n in kind.staff_needs if n in ROLE_FOR_NEED}
    candidates = {role: uow.staff.of_role_at(location.location_id, role) for role in roles}
    if not preferred:
        return candidates
    for role, pool in candidates.items():
        mine = [m for m in pool if m.staff_member_id == preferred]
        if mine:
            return {**candidates, role: mine}
    return None


def _slot(uow, q, kind, location, start, end, candidates, policy, now) -> Slot | None:
    try:
        busy = set(uow.appointments.busy_resources(location.location_id, start, end))
        busy |= uow.holds.held_resources(location.location_id, start, end, now)
        resource_ids = location.pick_resources((), kind.resource_kinds, busy)
        if q.patient_id and uow.appointments.patient_is_booked(q.patient_id, start, end):
            return None
        ids = [m.staff_member_id for pool in candidates.values() for m in pool]
        load = uow.appointments.staff_load(ids, start, end)
        staff = pick_staff(kind.staff_needs, candidates, load, location_id=location.location_id,
                           zone=location.zone, start=start, end=end,
                           max_shared=policy.rn_max_chairs)
    except FailedPrecondition:
        return None
    return Slot(location.location_id, location.time_zone, start, end, tuple(resource_ids),
                tuple((i, need) for i, need, _ in staff))
