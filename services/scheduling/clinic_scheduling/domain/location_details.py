"""What a caller says a location should be, and the checks it must pass."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.policy import HoursSpec

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
RESOURCE_KINDS = frozenset({"CONSULT_ROOM", "TREATMENT_ROOM", "INFUSION_CHAIR", "TMS_DEVICE"})
FIELDS = ("display_name", "time_zone", "weekly_hours", "closures", "certifications", "resources",
          "appointment_types")


@dataclass(frozen=True)
class ClosureSpec:
    date: dt.date
    reason: str = ""


@dataclass(frozen=True)
class ResourceSpec:
    resource_id: str
    kind: str
    display_name: str


@dataclass(frozen=True)
class LocationDetails:
    """The settable fields of a location. Empty weekly_hours means the policy default."""

    display_name: str = ""
    time_zone: str = ""
    weekly_hours: tuple[HoursSpec, ...] = ()
    closures: tuple[ClosureSpec, ...] = ()
    certifications: tuple[str, ...] = ()
    resources: tuple[ResourceSpec, ...] = ()
    appointment_types: tuple[str, ...] = ()  # the codes booked here; empty: every type

    def validate(self, fields: set[str]) -> None:
        """Raise a field violation for the first malformed field among ``fields``."""
        for name in FIELDS:
            if name in fields:
                _CHECKS[name](self)


def check_slug(value: str, field: str) -> str:
    if not value or len(value) > 63 or not SLUG.match(value):
        raise errors.field(field, f"must be a lowercase slug such as 'la-jolla', got {value!r}")
    return value


def zone(name: str, field: str = "location.time_zone") -> ZoneInfo:
    """The IANA zone of that name, or a field violation."""
    if not name:
        raise errors.field(field, "is required")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.field(field, f"{name!r} is not an IANA time zone",
                           reason="UNKNOWN_TIME_ZONE") from None


def _display_name(details: LocationDetails) -> None:
    if not details.display_name.strip() or len(details.display_name) > 200:
        raise errors.field("location.display_name", "is required, at most 200 characters")


def _time_zone(details: LocationDetails) -> None:
    zone(details.time_zone)


def _weekly_hours(details: LocationDetails) -> None:
    by_day: dict[int, list[HoursSpec]] = {}
    for hours in details.weekly_hours:
        if not 1 <= hours.weekday <= 7:
            raise errors.field("location.weekly_hours", "each interval needs a weekday")
        if hours.open_time >= hours.close_time:
            raise errors.field("location.weekly_hours", "close_time must be after open_time")
        by_day.setdefault(hours.weekday, []).append(hours)
    for intervals in by_day.values():
        intervals.sort(key=lambda h: h.open_time)
        for earlier, later in zip(intervals, intervals[1:], strict=False):
            if later.open_time < earlier.close_time:
                raise errors.field("location.weekly_hours", "intervals of one day overlap")


def _closures(details: LocationDetails) -> None:
    dates = [c.date for c in details.closures]
    if len(dates) != len(set(dates)):
        raise errors.field("location.closures", "a date is listed twice")
    if any(len(c.reason) > 200 for c in details.closures):
        raise errors.field("location.closures", "a reason is longer than 200 characters")


def _certifications(details: LocationDetails) -> None:
    codes = details.certifications
    if any(not CODE.match(c) or len(c) > 64 for c in codes):
        raise errors.field("location.certifications", "codes are UPPER_SNAKE_CASE")
    if len(codes) != len(set(codes)):
        raise errors.field("location.certifications", "a code is listed twice")


def _appointment_types(details: LocationDetails) -> None:
    codes = details.appointment_types
    if any(not CODE.match(c) or len(c) > 64 for c in codes):
        raise errors.field("location.appointment_types", "codes are UPPER_SNAKE_CASE")
    if len(codes) != len(set(codes)):
        raise errors.field("location.appointment_types", "a code is listed twice")


def _resources(details: LocationDetails) -> None:
    ids = [r.resource_id for r in details.resources]
    for resource in details.resources:
        check_slug(resource.resource_id, "location.resources.resource_id")
        if resource.kind not in RESOURCE_KINDS:
            raise errors.field("location.resources.kind",
                               f"must be one of {', '.join(sorted(RESOURCE_KINDS))}")
        if not resource.display_name.strip() or len(resource.display_name) > 200:
            raise errors.field("location.resources.display_name",
                               "is required, at most 200 characters")
    if len(ids) != len(set(ids)):
        raise errors.field("location.resources", "a resource id is listed twice")


_CHECKS = {"display_name": _display_name, "time_zone": _time_zone,
           "weekly_hours": _weekly_hours, "closures": _closures,
           "certifications": _certifications, "resources": _resources,
           "appointment_types": _appointment_types}
