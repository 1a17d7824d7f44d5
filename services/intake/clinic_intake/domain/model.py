"""Patients: registration, changes by field, duplicates and merges. No framework imports."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_intake.domain import common, errors
from clinic_intake.domain.common import Contact, PostalAddress

new_id = common.new_id


class PatientState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    MERGED = "MERGED"


class SexAtBirth(enum.StrEnum):
    UNSPECIFIED = ""
    FEMALE = "FEMALE"
    MALE = "MALE"
    INTERSEX = "INTERSEX"
    UNKNOWN = "UNKNOWN"


def _birth_date(value: dt.date | None, today: dt.date) -> dt.date:
    if value is None:
        raise errors.field("patient.date_of_birth", "is required")
    if value > today:
        raise errors.field("patient.date_of_birth", "is in the future")
    if value.year < today.year - 130:
        raise errors.field("patient.date_of_birth", "is more than 130 years ago")
    return value


def _email(value: str) -> str:
    value = (value or "").strip()
    if value and not common.EMAIL.match(value):
        raise errors.field("patient.email", "is not an email address")
    return value


def _field_rules(today: dt.date) -> dict:
    """How each field a caller may set is checked and normalised."""
    return {
        "given_name": lambda v: common.required_text(v, "patient.given_name"),
        "family_name": lambda v: common.required_text(v, "patient.family_name"),
        "preferred_name": lambda v: common.optional_text(v, "patient.preferred_name"),
        "date_of_birth": lambda v: _birth_date(v, today),
        "sex_at_birth": lambda v: common.choice(SexAtBirth, v, "patient.sex_at_birth"),
        "gender_identity": lambda v: common.optional_text(v, "patient.gender_identity", 100),
        "phone": lambda v: common.phone(v, "patient.phone"),
        "email": _email,
        "address": lambda v: (v or PostalAddress()).validated("patient.address"),
        "preferred_location_id": lambda v: common.optional_text(
            v, "patient.preferred_location_id", 64),
        "emergency_contact": lambda v: (v or Contact()).validated("patient.emergency_contact"),
        "escort": lambda v: (v or Contact()).validated("patient.escort"),
    }


def checked(values: dict, today: dt.date | None = None) -> dict:
    """The given field values, checked and normalised; unknown names are refused."""
    rules = _field_rules(today or dt.date.today())
    for name in values:
        if name not in rules:
            raise errors.field("update_mask", f"{name!r} is not a field that can be changed")
    return {name: rules[name](value) for name, value in values.items()}


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
    sex_at_birth: str = SexAtBirth.UNSPECIFIED
    gender_identity: str = ""
    address: PostalAddress = field(default_factory=PostalAddress)
    emergency_contact: Contact = field(default_factory=Contact)
    escort: Contact = field(default_factory=Contact)
    state: str = PatientState.ACTIVE
    merged_into_patient_id: str = ""
    revision: int = 1
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)

    @classmethod
    def register(cls, *, given_name: str, family_name: str, date_of_birth: dt.date | None,
                 now: dt.datetime, **details) -> Patient:
        """A new patient, after checking what registration requires."""
        values = checked({"given_name": given_name, "family_name": family_name,
                          "date_of_birth": date_of_birth, **details}, now.date())
        return cls(patient_id=new_id(), created_at=now, updated_at=now, **values)

    def update(self, values: dict, *, now: dt.datetime) -> list[str]:
        """Apply checked new values; returns the names of the fields that changed."""
        self.ensure_active()
        changes = {k: v for k, v in checked(values, now.date()).items()
                   if getattr(self, k) != v}
        for name, value in changes.items():
            setattr(self, name, value)
        if changes:
            self.revision += 1
            self.updated_at = now
        return sorted(changes)

    def merge_into(self, survivor: Patient, *, now: dt.datetime) -> None:
        if survivor.patient_id == self.patient_id:
            raise errors.Invalid("SAME_PATIENT", "a patient cannot be merged into itself")
        self.ensure_active()
        survivor.ensure_active()
        self.state = PatientState.MERGED
        self.merged_into_patient_id = survivor.patient_id
        self.revision += 1
        self.updated_at = now

    def ensure_active(self) -> None:
        if self.state == PatientState.MERGED:
            raise errors.PatientMerged(self.patient_id, self.merged_into_patient_id)

    def snapshot(self) -> dict:
        return common.jsonable({k: getattr(self, k) for k in (
            "given_name", "family_name", "preferred_name", "date_of_birth", "sex_at_birth",
            "gender_identity", "phone", "email", "address", "preferred_location_id",
            "emergency_contact", "escort", "state", "merged_into_patient_id")})
