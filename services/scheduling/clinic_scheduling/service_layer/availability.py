"""Finding a time: the earliest open slots of a type across locations, each with the
resources and staff a booking then would use. Reads only; a slot is not held.

A search loads what is taken over the days it walks (bookings of the locations' resources,
holds, the candidate staff's assignments, the patient's visits) in a few queries per day,
or per window for a series, and answers each candidate slot in memory (``Taken``): the
same rules as a booking's checks, without a query per slot."""

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
from clinic_scheduling.domain.timeline import Timeline
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
        staff = staff_of(uow, places, kind, q.staff_member_id)
        found: list[Slot] = []
        day = q.start_date
        while day <= q.end_date and len(found) <= limit:
            taken = Taken.load(uow, places, staff, q.patient_id, day, day, now)
            slots = sorted((s for loc in places for s in _slots_on(
                uow, q, kind, loc, day, minutes, policy, now, taken,
                staff[loc.location_id])), key=lambda s: (s.start, s.location_id))
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


def staff_of(uow: SchedulingUnitOfWork, places: list[Location], kind: AppointmentType,
             preferred: str) -> dict[str, dict[str, list] | None]:
    """Each location's candidate staff (see _candidates), read once for a whole search."""
    return {loc.location_id: _candidates(uow, loc, kind, preferred) for loc in places}


class Taken:
    """What is taken over a stretch of days at some locations, loaded in five queries:
    the active bookings of their resources, the active holds, the candidate staff's
    assignments and holds anywhere and the patient's visits anywhere. Answers a slot's questions as
    the booking checks' queries would (busy resources, the patient booked, the staff's
    load), in memory."""

    def __init__(self, resources: dict[str, Timeline], holds: dict[str, Timeline],
                 staff: Timeline, patient: Timeline):
        self._resources, self._holds = resources, holds
        self._staff, self._patient = staff, patient

    @classmethod
    def load(cls, uow: SchedulingUnitOfWork, places: list[Location],
             staff: dict[str, dict[str, list] | None], patient_id: str, first: dt.date,
             last: dt.date, now: dt.datetime) -> Taken:
        """For the local days first..last at each of ``places``."""
        if not places:
            return cls({}, {}, Timeline(), Timeline())
        start = min(dt.datetime.combine(first, dt.time(0), loc.zone) for loc in places)
        end = max(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), loc.zone)
                  for loc in places)
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        ids = [loc.location_id for loc in places]
        by_location: dict[str, list] = {i: [] for i in ids}
        for location_id, resource_id, begin, finish in uow.appointments.resource_bookings(
                ids, start, end):
            by_location[location_id].append((begin, finish, (resource_id,)))
        held: dict[str, list] = {i: [] for i in ids}
        for location_id, resource_ids, begin, finish in uow.holds.holds_over(ids, start, end,
                                                                             now):
            held[location_id].append((begin, finish, resource_ids))
        members = sorted({m.staff_member_id for pools in staff.values() if pools
                          for pool in pools.values() for m in pool})
        assignments = Timeline((begin, finish, (member, exclusive)) for member, exclusive,
                               begin, finish in [
                                   *uow.appointments.staff_bookings(members, start, end),
                                   *uow.holds.staff_holds(members, start, end, now)])
        visits = Timeline((begin, finish, None) for begin, finish in (
            uow.appointments.patient_bookings(patient_id, start, end) if patient_id else ()))
        return cls({i: Timeline(rows) for i, rows in by_location.items()},
                   {i: Timeline(rows) for i, rows in held.items()}, assignments, visits)

    def busy_resources(self, location_id: str, start: dt.datetime, end: dt.datetime
                       ) -> set[str]:
        """The location's resources booked or held over [start, end)."""
        busy: set[str] = set()
        for line in (self._resources.get(location_id), self._holds.get(location_id)):
            if line is not None:
                for resource_ids in line.overlapping(start, end):
                    busy.update(resource_ids)
        return busy

    def patient_is_booked(self, start: dt.datetime, end: dt.datetime) -> bool:
        return any(True for _ in self._patient.overlapping(start, end))

    def staff_load(self, start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, int]]:
        """Per candidate staff member, (exclusive, shared) assignments over [start, end)."""
        load: dict[str, tuple[int, int]] = {}
        for member, exclusive in self._staff.overlapping(start, end):
            held, shared = load.get(member, (0, 0))
            load[member] = (held + 1, shared) if exclusive else (held, shared + 1)
        return load


def _slots_on(uow: SchedulingUnitOfWork, q: AvailabilityQuery, kind: AppointmentType,
              location: Location, day: dt.date, minutes: int, policy: SchedulingPolicy,
              now: dt.datetime, taken: Taken | None = None,
              candidates: dict[str, list] | None = None):
    """The open slots at the location on the local day, answered from ``taken`` (loaded
    for the day when not given) with ``candidates`` (read when not given)."""
    if any(c.date == day for c in location.closures):
        return
    if candidates is None:
        candidates = _candidates(uow, location, kind, q.staff_member_id)
    if candidates is None:
        return
    if taken is None:
        taken = Taken.load(uow, [location], {location.location_id: candidates}, q.patient_id,
                           day, day, now)
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
                slot = _slot(q, kind, location, start, end, candidates, policy, taken)
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


def _slot(q: AvailabilityQuery, kind: AppointmentType, location: Location,
          start: dt.datetime, end: dt.datetime, candidates: dict[str, list],
          policy: SchedulingPolicy, taken: Taken) -> Slot | None:
    try:
        busy = taken.busy_resources(location.location_id, start, end)
        resource_ids = location.pick_resources((), kind.resource_kinds, busy)
        if q.patient_id and taken.patient_is_booked(start, end):
            return None
        staff = pick_staff(kind.staff_needs, candidates, taken.staff_load,
                           location_id=location.location_id, zone=location.zone, start=start,
                           end=end, max_shared=policy.rn_max_chairs,
                           windows=kind.staff_windows(start, end))
    except FailedPrecondition:
        return None
    return Slot(location.location_id, location.time_zone, start, end, tuple(resource_ids),
                tuple((i, need) for i, need, _ in staff))
