"""What every intake servicer needs: staff identity, resource names, request keys, pages."""

from __future__ import annotations

import re

from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.unit_of_work import fingerprint

from clinic_intake.domain import errors

STAFF_METADATA = "x-staff-id"
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def staff_id(context, *, required: bool = True) -> str:
    """The acting staff member's id from the call's metadata (until real auth exists)."""
    value = ""
    for key, item in context.invocation_metadata() or ():
        if key == STAFF_METADATA and isinstance(item, str):
            value = item.strip()
    if value and not _ID.match(value):
        raise FieldViolation(STAFF_METADATA, "is not a staff id", reason="STAFF_ID_INVALID")
    if required and not value:
        raise errors.StaffIdRequired()
    return value


def change(request, context, *, staff_required: bool = True) -> dict:
    """The fields every change command carries: who, and the AIP-155 retry key."""
    return {"staff_id": staff_id(context, required=staff_required),
            "request_id": request.request_id, "fingerprint": fingerprint(request)}


def parse_name(name: str, field: str, *collections: str) -> tuple[str, ...]:
    """The ids in a resource name such as patients/{p}/coverages/{c}."""
    parts = name.split("/")
    pattern = "/".join(f"{c}/{{id}}" for c in collections)
    if len(parts) != 2 * len(collections) or parts[0::2] != list(collections) or \
            not all(_ID.match(p) for p in parts[1::2]):
        raise FieldViolation(field, f"must look like {pattern}, got {name!r}")
    return tuple(parts[1::2])


def patient_id(name: str, field: str = "name") -> str:
    return parse_name(name, field, "patients")[0]


def page_request(request) -> tuple[int, list | None]:
    """The page size and the key to continue after, from a List request."""
    token = paging.decode_token(request.page_token)
    after = token.get("after") if token else None
    if token is not None and not isinstance(after, list):
        raise FieldViolation("page_token", "is not a token this service issued",
                             reason="INVALID_PAGE_TOKEN")
    return paging.page_size(request.page_size), after


def next_token(next_key: list | None) -> str:
    return paging.encode_token({"after": next_key}) if next_key else ""


def enum_in(enum_type, value: int, field: str) -> str:
    """A proto enum value as the domain's name for it ("" for the zero value)."""
    try:
        name = enum_type.Name(value)
    except ValueError:
        raise FieldViolation(field, f"{value} is not a known value") from None
    prefix = _enum_prefix(enum_type)
    return "" if name == f"{prefix}UNSPECIFIED" else name.removeprefix(prefix)


def enum_out(enum_type, value: str) -> int:
    """The domain's name for an enum value as the proto enum value."""
    prefix = _enum_prefix(enum_type)
    return enum_type.Value(f"{prefix}{value}") if value else 0


def _enum_prefix(enum_type) -> str:
    return enum_type.DESCRIPTOR.values[0].name.removesuffix("UNSPECIFIED")
