"""Intake's domain model. No framework imports: plain dataclasses and rules."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from clinic_intake.domain import errors

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class Patient:
    """A person registered with the clinic group."""

    patient_id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    phone: str = ""
    email: str = ""
    preferred_name: str = ""
    preferred_location_id: str = ""
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    updated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @classmethod
    def register(cls, *, given_name: str, family_name: str, date_of_birth: dt.date | None,
                 phone: str = "", email: str = "", preferred_name: str = "",
                 preferred_location_id: str = "", today: dt.date | None = None) -> Patient:
        """A new patient, after checking what registration requires."""
        today = today or dt.date.today()
        if not given_name.strip():
            raise errors.field("patient.given_name", "is required")
        if not family_name.strip():
            raise errors.field("patient.family_name", "is required")
        if date_of_birth is None:
            raise errors.field("patient.date_of_birth", "is required")
        if date_of_birth > today:
            raise errors.field("patient.date_of_birth", "is in the future")
        if date_of_birth.year < today.year - 130:
            raise errors.field("patient.date_of_birth", "is more than 130 years ago")
        if phone and not E164.match(phone):
            raise errors.field("patient.phone", "must be E.164, such as +16195550100")
        if email and not EMAIL.match(email):
            raise errors.field("patient.email", "is not an email address")
        return cls(patient_id=new_id(), given_name=given_name.strip(),
                   family_name=family_name.strip(), date_of_birth=date_of_birth, phone=phone,
                   email=email.strip(), preferred_name=preferred_name.strip(),
                   preferred_location_id=preferred_location_id.strip())
