"""The location aggregate: time zone, weekly hours, closures, certifications, resources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.children import sync as _sync
from clinic_scheduling.domain.location_details import FIELDS, LocationDetails, check_slug
from clinic_scheduling.domain.policy import HoursSpec

SPRAVATO_REMS = "SPRAVATO_REMS"


@dataclass(eq=False)
class OpeningHours:
    weekday: int  # ISO: Monday = 1
    open_time: dt.time
    close_time: dt.time


@dataclass(eq=False)
class Closure:
    date: dt.date
    reason: str = ""


@dataclass(eq=False)
class Certification:
    code: str


@dataclass(eq=False)
class Resource:
    resource_id: str
    kind: str
    display_name: str


@dataclass(eq=False)
class OfferedType:
    """An appointment type booked at a location."""

    code: str


@dataclass(eq=False)
class Location:
    location_id: str
    display_name: str
    time_zone: str
    weekly_hours: list[OpeningHours] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    offered_types: list[OfferedType] = field(default_factory=list)  # empty: every type
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    # Counts the changes: what was read of a location is current while this has not moved.
    revision: int = 0

    @classmethod
    def create(cls, location_id: str, details: LocationDetails,
               default_hours: Iterable[HoursSpec], now: dt.datetime) -> Location:
        check_slug(location_id, "location_id")
        location = cls(location_id=location_id, display_name="", time_zone="", created_at=now)
        location.change(details, set(FIELDS), default_hours, now)
        return location

    def change(self, details: LocationDetails, fields: set[str],
               default_hours: Iterable[HoursSpec], now: dt.datetime) -> bool:
        """Take the values of ``fields`` from ``details``; True when anything changed."""
        details.validate(fields)
        changed = False
        if "display_name" in fields and self.display_name != details.display_name.strip():
            self.display_name, changed = details.display_name.strip(), True
        if "time_zone" in fields and self.time_zone != details.time_zone:
            self.time_zone, changed = details.time_zone, True
        if "weekly_hours" in fields:
            wanted = details.weekly_hours or tuple(default_hours)
            changed |= _sync(self.weekly_hours,
                             [OpeningHours(h.weekday, h.open_time, h.close_time) for h in wanted],
                             key=lambda h: (h.weekday, h.open_time, h.close_time))
        if "closures" in fields:
            changed |= _sync(self.closures, [Closure(c.date, c.reason) for c in details.closures],
                             key=lambda c: c.date, copied=("reason",))
        if "certifications" in fields:
            changed |= _sync(self.certifications,
                             [Certification(c) for c in details.certifications],
                             key=lambda c: c.code)
        if "appointment_types" in fields:
            changed |= _sync(self.offered_types,
                             [OfferedType(c) for c in details.appointment_types],
                             key=lambda t: t.code)
        if "resources" in fields:
            changed |= _sync(self.resources, [Resource(r.resource_id, r.kind, r.display_name)
                                              for r in details.resources],
                             key=lambda r: r.resource_id, copied=("kind", "display_name"))
        if changed:
            self.updated_at = now
            self.revision += 1
        return changed

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The calendar day ``instant`` falls on at the location."""
        return instant.astimezone(self.zone).date()

    def offers(self, appointment_type: str) -> bool:
        """Whether the type is booked here (a location listing none books every type)."""
        return not self.offered_types or \
            any(t.code == appointment_type for t in self.offered_types)

    def is_certified(self, code: str) -> bool:
        return any(c.code == code for c in self.certifications)

    def resource(self, resource_id: str) -> Resource | None:
        return next((r for r in self.resources if r.resource_id == resource_id), None)

    def check_open(self, start: dt.datetime, end: dt.datetime) -> None:
        """Refuse a visit that is not inside one opening interval of an open day.

        Hours are wall-clock times in the location's zone, so the same 08:00
        opening is 16:00 UTC in winter and 15:00 UTC in summer.
        """
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        day = local_start.date()
        if any(c.date == day for c in self.closures):
            raise errors.LocationClosed(f"{self.location_id!r} is closed on {day.isoformat()}",
                                        reason="LOCATION_CLOSED_ON_DATE", date=day.isoformat())
        fits = local_end.date() == day and any(
            h.weekday == day.isoweekday()
            and h.open_time <= local_start.time() and local_end.time() <= h.close_time
            for h in self.weekly_hours)
        if not fits:
            raise errors.LocationClosed(
                f"{self.location_id!r} is not open from {local_start:%a %Y-%m-%d %H:%M} to "
                f"{local_end:%H:%M} ({self.time_zone})", reason="OUTSIDE_OPENING_HOURS")

    def pick_resources(self, requested: Iterable[str], kinds_needed: list[str],
                       busy: set[str]) -> list[str]:
        """The resources a visit takes: those asked for (each of a kind the visit needs),
        plus a free one of each kind the visit needs and was not asked for."""
        chosen: list[Resource] = []
        for resource_id in dict.fromkeys(requested):
            resource = self.resource(resource_id)
            if resource is None:
                raise errors.field("appointment.resource_ids",
                                   f"{resource_id!r} is not a resource of {self.location_id!r}",
                                   reason="RESOURCE_UNKNOWN")
            if resource.kind not in kinds_needed:
                raise errors.ResourceKindMismatch(resource_id, resource.kind, kinds_needed)
            if resource_id in busy:
                raise errors.SlotTaken(f"resource {resource_id!r} is booked at that time",
                                       reason="RESOURCE_ALREADY_BOOKED", resource_id=resource_id)
            chosen.append(resource)
        for kind in kinds_needed:
            if any(r.kind == kind for r in chosen):
                continue
            free = sorted((r for r in self.resources
                           if r.kind == kind and r.resource_id not in busy),
                          key=lambda r: r.resource_id)
            if not free:
                raise errors.NoResourceAvailable(self.location_id, kind)
            chosen.append(free[0])
        return [r.resource_id for r in chosen]

