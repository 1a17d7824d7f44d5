"""Location configuration files (deploy/locations/<id>.yaml) read into API messages.

A file is the whole truth about its location's display name, time zone, closures,
certifications, appointment types and resources. ``weekly_hours`` is optional: a new location
without it gets the policy default; an existing one keeps the hours it has.

``staff`` is the location's roster: who works there and their weekly shifts there. A person
who works at several locations is listed in each of their files, with the same id, name and
role. Time off is kept through the API, not in files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from clinic.scheduling.v1 import location_pb2, staff_pb2

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEYS = {"location_id", "display_name", "time_zone", "weekly_hours", "closures",
        "certifications", "resources", "appointment_types", "staff"}
STAFF_KEYS = {"id", "name", "role", "shifts"}
ALWAYS_MANAGED = ("display_name", "time_zone", "closures", "certifications", "resources",
                  "appointment_types")


class LocationFileError(ValueError):
    """A location file that cannot be applied; the message names the file and the key."""


@dataclass(frozen=True)
class LocationFile:
    path: Path
    location_id: str
    location: location_pb2.Location
    fields: tuple[str, ...]  # the Location fields this file manages
    # The roster: staff members with their shifts at this location only.
    staff: tuple[staff_pb2.StaffMember, ...] = ()


def read(path: Path) -> LocationFile:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise LocationFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise LocationFileError(f"{path}: expected a mapping of location fields")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise LocationFileError(f"{path}: unknown keys {', '.join(unknown)}")
    try:
        return _parse(path, data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise LocationFileError(f"{path}: {exc}") from None


def _parse(path: Path, data: dict) -> LocationFile:
    location_id = _text(data, "location_id")
    location = location_pb2.Location(
        display_name=_text(data, "display_name"), time_zone=_text(data, "time_zone"),
        certifications=[str(c) for c in data.get("certifications") or []],
        appointment_types=[str(c) for c in data.get("appointment_types") or []])
    for entry in data.get("closures") or []:
        closure = location.closures.add(reason=str(entry.get("reason", "")))
        day = _date(entry["date"])
        closure.date.year, closure.date.month, closure.date.day = day.year, day.month, day.day
    for entry in data.get("resources") or []:
        kind = f"RESOURCE_KIND_{entry['kind']}"
        if kind not in location_pb2.ResourceKind.DESCRIPTOR.values_by_name:
            raise ValueError(f"resource {entry.get('id')!r}: unknown kind {entry['kind']!r}")
        location.resources.add(resource_id=str(entry["id"]), display_name=str(entry["name"]),
                               kind=location_pb2.ResourceKind.Value(kind))
    fields = ALWAYS_MANAGED
    if "weekly_hours" in data:
        location.weekly_hours.extend(_hours(data["weekly_hours"]))
        fields = (*fields, "weekly_hours")
    staff = tuple(_staff_member(location_id, entry) for entry in data.get("staff") or [])
    ids = [member.staff_member_id for member in staff]
    if len(ids) != len(set(ids)):
        raise ValueError("staff: an id is listed twice")
    return LocationFile(path=path, location_id=location_id, location=location, fields=fields,
                        staff=staff)


def _staff_member(location_id: str, entry: dict) -> staff_pb2.StaffMember:
    if not isinstance(entry, dict):
        raise ValueError("staff: each entry maps id, name, role and shifts")
    unknown = sorted(set(entry) - STAFF_KEYS)
    if unknown:
        raise ValueError(f"staff {entry.get('id')!r}: unknown keys {', '.join(unknown)}")
    role = f"STAFF_ROLE_{entry.get('role')}"
    if role not in staff_pb2.StaffRole.DESCRIPTOR.values_by_name or role.endswith("UNSPECIFIED"):
        raise ValueError(f"staff {entry.get('id')!r}: unknown role {entry.get('role')!r}; "
                         "known: RN, PROVIDER, TMS_TECHNICIAN, FRONT_DESK")
    member = staff_pb2.StaffMember(
        staff_member_id=_text(entry, "id"), display_name=_text(entry, "name"),
        role=staff_pb2.StaffRole.Value(role), location_ids=[location_id])
    for hours in _hours(entry.get("shifts") or {}):
        member.shifts.add(location_id=location_id, weekday=hours.weekday,
                          start_time=hours.open_time, end_time=hours.close_time)
    return member


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} is required")
    return value.strip()


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _hours(spec: dict) -> list[location_pb2.OpeningHours]:
    """``{monday: ["08:00-19:00"], ...}`` as opening intervals."""
    if not isinstance(spec, dict):
        raise ValueError("weekly_hours maps weekday names to lists of 'HH:MM-HH:MM'")
    hours = []
    for day, intervals in spec.items():
        if day not in WEEKDAYS:
            raise ValueError(f"weekly_hours: {day!r} is not a weekday name")
        for interval in intervals or []:
            opens, _, closes = str(interval).partition("-")
            hours.append(location_pb2.OpeningHours(
                weekday=WEEKDAYS.index(day) + 1, open_time=_clock(opens), close_time=_clock(closes)))
    return hours


def _clock(text: str) -> location_pb2.TimeOfDay:
    try:
        value = dt.time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"weekly_hours: {text!r} is not a time such as 08:00") from None
    return location_pb2.TimeOfDay(hours=value.hour, minutes=value.minute)
