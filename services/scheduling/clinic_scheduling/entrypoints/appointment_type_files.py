"""The appointment type file (deploy/appointment-types.yaml) read into API messages.

The file is the whole truth about each type it lists: its display name, the treatment
modality it needs cleared, the location certification it needs and its ordered parts
(each part's kind, minutes or the plan's length within a range, and the resource kinds and
staff roles held during it). Which locations book a type stays in their location files.
A type the file does not list is left alone (nothing is deleted through the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from clinic.scheduling.v1 import appointment_type_pb2, location_pb2

KEYS = {"appointment_types"}
TYPE_KEYS = {"code", "display_name", "modality", "required_certification", "parts"}
PART_KEYS = {"kind", "minutes", "length_from_plan", "min_minutes", "max_minutes",
             "resource_kinds", "staff_roles"}
PART_KIND_PREFIX = "APPOINTMENT_TYPE_PART_KIND_"
RESOURCE_KIND_PREFIX = "RESOURCE_KIND_"


class AppointmentTypeFileError(ValueError):
    """An appointment type file that cannot be applied; the message names the file, the
    type and the key."""


@dataclass(frozen=True)
class AppointmentTypeFile:
    path: Path
    # The types in file order, each with code, display_name, modality,
    # required_certification and parts set.
    types: tuple[appointment_type_pb2.AppointmentType, ...]


def is_appointment_type_file(path: Path) -> bool:
    """Whether ``path`` holds appointment types (a mapping whose only key is
    ``appointment_types``) rather than a location (whose files name a ``location_id``)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and set(data) == KEYS


def read(path: Path) -> AppointmentTypeFile:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise AppointmentTypeFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict) or set(data) != KEYS \
            or not isinstance(data["appointment_types"], list):
        raise AppointmentTypeFileError(
            f"{path}: expected a mapping with one key, appointment_types, a list of types")
    types, seen = [], set()
    for index, entry in enumerate(data["appointment_types"]):
        where = f"appointment_types[{index}]"
        try:
            kind = _type(entry)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise AppointmentTypeFileError(f"{path}: {where}: {exc}") from None
        if kind.code in seen:
            raise AppointmentTypeFileError(f"{path}: {where}: type {kind.code!r} listed twice")
        seen.add(kind.code)
        types.append(kind)
    return AppointmentTypeFile(Path(path), tuple(types))


def _type(entry) -> appointment_type_pb2.AppointmentType:
    if not isinstance(entry, dict):
        raise TypeError("expected a mapping of type fields")
    unknown = sorted(set(entry) - TYPE_KEYS)
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(TYPE_KEYS))}")
    code = _text(entry, "code")
    parts = entry.get("parts")
    if not isinstance(parts, list) or not parts:
        raise ValueError(f"type {code!r}: parts: a list of at least one part")
    return appointment_type_pb2.AppointmentType(
        code=code, display_name=_text(entry, "display_name"),
        modality=str(entry.get("modality") or ""),
        required_certification=str(entry.get("required_certification") or ""),
        parts=[_part(code, i, part) for i, part in enumerate(parts)])


def _part(code: str, index: int, entry) -> appointment_type_pb2.AppointmentTypePart:
    where = f"type {code!r}: parts[{index}]"
    if not isinstance(entry, dict):
        raise TypeError(f"{where}: expected a mapping of part fields")
    unknown = sorted(set(entry) - PART_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(PART_KEYS))}")
    kinds = appointment_type_pb2.AppointmentTypePartKind.DESCRIPTOR.values_by_name
    part_kind = f"{PART_KIND_PREFIX}{entry.get('kind')}"
    if part_kind not in kinds or part_kind.endswith("UNSPECIFIED"):
        known = [n.removeprefix(PART_KIND_PREFIX) for n in kinds if not n.endswith("UNSPECIFIED")]
        raise ValueError(f"{where}: kind {entry.get('kind')!r} is none of {', '.join(known)}")
    resources = []
    names = location_pb2.ResourceKind.DESCRIPTOR.values_by_name
    for value in entry.get("resource_kinds") or []:
        name = f"{RESOURCE_KIND_PREFIX}{value}"
        if name not in names or name.endswith("UNSPECIFIED"):
            known = [n.removeprefix(RESOURCE_KIND_PREFIX) for n in names
                     if not n.endswith("UNSPECIFIED")]
            raise ValueError(f"{where}: resource kind {value!r} is none of {', '.join(known)}")
        resources.append(location_pb2.ResourceKind.Value(name))
    return appointment_type_pb2.AppointmentTypePart(
        kind=appointment_type_pb2.AppointmentTypePartKind.Value(part_kind),
        minutes=_minutes(entry, "minutes", where),
        length_from_plan=_flag(entry, "length_from_plan", where),
        min_minutes=_minutes(entry, "min_minutes", where),
        max_minutes=_minutes(entry, "max_minutes", where),
        resource_kinds=resources, staff_roles=[str(r) for r in entry.get("staff_roles") or []])


def _text(entry: dict, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key}: a non-empty text")
    return value.strip()


def _minutes(entry: dict, key: str, where: str) -> int:
    value = entry.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: {key}: whole minutes, got {value!r}")
    return value


def _flag(entry: dict, key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key}: true or false, got {value!r}")
    return value
