"""Values and checks shared by intake's records. No framework imports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import uuid
from dataclasses import dataclass

from clinic_intake.domain import errors, icd10cm

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ZIP = re.compile(r"^\d{5}(-\d{4})?$")
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP"})


def new_id() -> str:
    return uuid.uuid4().hex[:16]



def required_text(value: str, field: str, max_length: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise errors.field(field, "is required")
    return optional_text(value, field, max_length)


def optional_text(value: str, field: str, max_length: int = 200) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise errors.field(field, f"is longer than {max_length} characters")
    return value


def phone(value: str, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if not value and required:
        raise errors.field(field, "is required")
    if value and not E164.match(value):
        raise errors.field(field, "must be E.164, such as +16195550100")
    return value


def icd10(value: str, field: str) -> str:
    """A billable ICD-10-CM code of the current code set, dotted (see icd10cm.billable)."""
    return icd10cm.billable(value, field)


def choice(kind: type[enum.StrEnum], value: str, field: str):
    """A member of ``kind`` by value, or a field violation naming the choices."""
    try:
        return kind(value or "")
    except ValueError:
        names = ", ".join(m.value for m in kind if m.value)
        raise errors.field(field, f"must be one of {names}") from None


def date_order(start: dt.date | None, end: dt.date | None, field: str) -> None:
    if start is not None and end is not None and end < start:
        raise errors.field(field, "is before the start")


@dataclass(frozen=True)
class Contact:
    """Someone to reach on the patient's behalf: an emergency contact or an escort."""

    name: str = ""
    phone: str = ""
    relationship: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.relationship)

    def validated(self, field: str) -> Contact:
        if self.is_empty:
            return Contact()
        return Contact(name=required_text(self.name, f"{field}.name"),
                       phone=phone(self.phone, f"{field}.phone", required=True),
                       relationship=required_text(self.relationship, f"{field}.relationship", 60))


@dataclass(frozen=True)
class PostalAddress:
    """A postal address in the United States."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""

    @property
    def is_empty(self) -> bool:
        return not any(dataclasses.astuple(self))

    def validated(self, field: str) -> PostalAddress:
        if self.is_empty:
            return PostalAddress()
        state = (self.state or "").strip().upper()
        if state not in US_STATES:
            raise errors.field(f"{field}.state", "must be a two-letter US state code")
        postal_code = (self.postal_code or "").strip()
        if not ZIP.match(postal_code):
            raise errors.field(f"{field}.postal_code", "must be a ZIP code such as 92008")
        return PostalAddress(line1=required_text(self.line1, f"{field}.line1"),
                             line2=optional_text(self.line2, f"{field}.line2"),
                             city=required_text(self.city, f"{field}.city", 100),
                             state=state, postal_code=postal_code)


def jsonable(value):
    """A value as JSON can hold it: for the snapshots kept with each revision."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
