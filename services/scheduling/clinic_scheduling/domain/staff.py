"""The staff member aggregate: role, locations, weekly shifts (local wall-clock times at a
location) and time off. Appointments need staff of a role; who is free is read from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.children import sync as _sync
from clinic_scheduling.domain.location_details import check_slug

ROLES = ("RN", "PROVIDER", "TMS_TECHNICIAN", "FRONT_DESK")
FIELDS = ("display_name", "role", "location_ids", "shifts", "time_off")


@dataclass(frozen=True)
class ShiftSpec:
    location_id: str
    weekday: int  # ISO: Monday = 1
    start_time: dt.time
    end_time: dt.time


@dataclass(frozen=True)
class TimeOffSpec:
    start_time: dt.datetime
    end_time: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class StaffDetails:
    """The settable fields of a staff member."""

    display_name: str = ""
    role: str = ""
    location_ids: tuple[str, ...] = ()
    shifts: tuple[ShiftSpec, ...] = ()
    time_off: tuple[TimeOffSpec, ...] = ()

    def validate(self, fields: set[str]) -> None:
        """Raise a field violation for the first malformed field among ``fields``."""
        if "display_name" in fields and (not self.display_name.strip()
                                         or len(self.display_name) > 200):
            raise errors.field("staff_member.display_name", "is required, at most 200 characters")
        if "role" in fields and self.role not in ROLES:
            raise errors.field("staff_member.role", f"must be one of {', '.join(ROLES)}")
        if "location_ids" in fields:
            for location_id in self.location_ids:
                check_slug(location_id, "staff_member.location_ids")
            if len(self.location_ids) != len(set(self.location_ids)):
                raise errors.field("staff_member.location_ids", "a location is listed twice")
        if "shifts" in fields:
            self._validate_shifts()
        if "time_off" in fields:
            self._validate_time_off()

    def _validate_shifts(self) -> None:
        by_day: dict[int, list[ShiftSpec]] = {}
        for shift in self.shifts:
            if shift.location_id not in self.location_ids:
                raise errors.field("staff_member.shifts.location_id",
                                   f"{shift.location_id!r} is not one of the staff member's "
                                   f"locations: {', '.join(self.location_ids) or 'none'}")
            if not 1 <= shift.weekday <= 7:
                raise errors.field("staff_member.shifts.weekday", "each shift needs a weekday")
            if shift.start_time >= shift.end_time:
                raise errors.field("staff_member.shifts", "end_time must be after start_time")
            by_day.setdefault(shift.weekday, []).append(shift)
        for shifts in by_day.values():
            shifts.sort(key=lambda s: s.start_time)
            for earlier, later in zip(shifts, shifts[1:], strict=False):
                if later.start_time < earlier.end_time:
                    raise errors.field("staff_member.shifts", "shifts of one day overlap")

    def _validate_time_off(self) -> None:
        for period in self.time_off:
            if period.start_time >= period.end_time:
                raise errors.field("staff_member.time_off", "end_time must be after start_time")
            if len(period.reason) > 200:
                raise errors.field("staff_member.time_off.reason", "at most 200 characters")
        starts = [p.start_time for p in self.time_off]
        if len(starts) != len(set(starts)):
            raise errors.field("staff_member.time_off", "two periods start at the same time")


@dataclass(eq=False)
class StaffLocation:
    location_id: str


@dataclass(eq=False)
class Shift:
    location_id: str
    weekday: int
    start_time: dt.time
    end_time: dt.time


@dataclass(eq=False)
class TimeOff:
    start_time: dt.datetime
    end_time: dt.datetime
    reason: str = ""


@dataclass(eq=False)
class StaffMember:
    staff_member_id: str
    display_name: str
    role: str
    locations: list[StaffLocation] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    time_off: list[TimeOff] = field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    revision: int = 0

    @classmethod
    def create(cls, staff_member_id: str, details: StaffDetails,
               now: dt.datetime) -> StaffMember:
        check_slug(staff_member_id, "staff_member_id")
        member = cls(staff_member_id=staff_member_id, display_name="", role="", created_at=now)
        member.change(details, set(FIELDS), now)
        return member

    @property
    def location_ids(self) -> list[str]:
        return sorted(loc.location_id for loc in self.locations)

    def change(self, details: StaffDetails, fields: set[str], now: dt.datetime) -> bool:
        """Take the values of ``fields`` from ``details``; True when anything changed. Shifts
        are checked against the locations the member will have."""
        if "location_ids" not in fields and "shifts" in fields:
            details = replace(details, location_ids=tuple(self.location_ids))
            fields = fields | {"location_ids"}
        elif "location_ids" in fields and "shifts" not in fields:
            details = replace(details, shifts=tuple(
                ShiftSpec(s.location_id, s.weekday, s.start_time, s.end_time)
                for s in self.shifts))
            fields = fields | {"shifts"}
        details.validate(fields)
        changed = False
        if "display_name" in fields and self.display_name != details.display_name.strip():
            self.display_name, changed = details.display_name.strip(), True
        if "role" in fields and self.role != details.role:
            self.role, changed = details.role, True
        if "location_ids" in fields:
            changed |= _sync(self.locations, [StaffLocation(i) for i in details.location_ids],
                             key=lambda loc: loc.location_id)
        if "shifts" in fields:
            changed |= _sync(self.shifts, [Shift(s.location_id, s.weekday, s.start_time,
                                                 s.end_time) for s in details.shifts],
                             key=lambda s: (s.location_id, s.weekday, s.start_time),
                             copied=("end_time",))
        if "time_off" in fields:
            changed |= _sync(self.time_off, [TimeOff(p.start_time, p.end_time, p.reason)
                                             for p in details.time_off],
                             key=lambda p: p.start_time, copied=("end_time", "reason"))
        if changed:
            self.updated_at = now
            self.revision += 1
        return changed

    def on_shift(self, location_id: str, local_start: dt.datetime,
                 local_end: dt.datetime) -> bool:
        """Whether one shift at the location covers the visit (local wall-clock times)."""
        day = local_start.date()
        return local_end.date() == day and any(
            s.location_id == location_id and s.weekday == day.isoweekday()
            and s.start_time <= local_start.time() and local_end.time() <= s.end_time
            for s in self.shifts)

    def away(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether any time off overlaps [start, end)."""
        return any(p.start_time < end and start < p.end_time for p in self.time_off)
