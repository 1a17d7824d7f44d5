"""Registrations that look like the same person, and how staff resolve them."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_intake.domain import errors
from clinic_intake.domain.common import new_id
from clinic_intake.domain.model import Patient


class DuplicateReason(enum.StrEnum):
    SAME_NAME_AND_BIRTH_DATE = "SAME_NAME_AND_BIRTH_DATE"
    SAME_PHONE = "SAME_PHONE"


class SuspicionState(enum.StrEnum):
    OPEN = "OPEN"
    DISTINCT = "DISTINCT"
    MERGED = "MERGED"


def _same_name(a: Patient, b: Patient) -> bool:
    return (a.given_name.casefold(), a.family_name.casefold()) == \
        (b.given_name.casefold(), b.family_name.casefold())


def likeness(new: Patient, existing: Patient) -> DuplicateReason | None:
    """Why two registrations look like one person, or None when they do not."""
    if new.patient_id == existing.patient_id:
        return None
    if _same_name(new, existing) and new.date_of_birth == existing.date_of_birth:
        return DuplicateReason.SAME_NAME_AND_BIRTH_DATE
    if new.phone and new.phone == existing.phone:
        return DuplicateReason.SAME_PHONE
    return None


@dataclass
class DuplicateSuspicion:
    """Two registrations flagged as likely the same person, until staff decide."""

    suspicion_id: str
    patient_id: str
    other_patient_id: str
    reason: str
    state: str = SuspicionState.OPEN
    flagged_at: dt.datetime = field(kw_only=True)
    resolved_by: str = ""
    resolved_at: dt.datetime | None = None

    @classmethod
    def flag(cls, patient_id: str, other_patient_id: str, reason: DuplicateReason,
             now: dt.datetime):
        return cls(suspicion_id=new_id(), patient_id=patient_id,
                   other_patient_id=other_patient_id, reason=reason, flagged_at=now)

    def other_than(self, patient_id: str) -> str:
        return self.other_patient_id if patient_id == self.patient_id else self.patient_id

    def resolve(self, state: SuspicionState, staff_id: str, now: dt.datetime) -> None:
        if self.state != SuspicionState.OPEN:
            raise errors.Refused("DUPLICATE_ALREADY_RESOLVED", "this flag was already resolved")
        self.state, self.resolved_by, self.resolved_at = state, staff_id, now
