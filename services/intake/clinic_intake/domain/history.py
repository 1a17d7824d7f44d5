"""A patient's medical history: conditions, medications, allergies, prior therapies, substances.

Each entry holds one typed detail, kept as plain data so that an amendment keeps
the earlier revision whole. Antidepressant trials that failed are how treatment
resistance is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_intake.domain import common, errors
from clinic_intake.domain.history_details import (
    DETAILS,
    FAILED_OUTCOMES,
    KINDS,
    Allergy,
    Condition,
    Detail,
    Kind,
    Medication,
    Outcome,
    PriorTherapy,
    SubstanceUse,
    from_data,
)

__all__ = ["DETAILS", "FAILED_OUTCOMES", "Allergy", "Condition", "Detail", "HistoryEntry",
           "Kind", "Medication", "Outcome", "PriorTherapy", "SubstanceUse",
           "adequate_failed_antidepressant_trials", "failed_antidepressant_trials",
           "treatment_resistant"]


@dataclass
class HistoryEntry:
    """One history fact of a patient, with its revision count."""

    entry_id: str
    patient_id: str
    kind: str
    data: dict
    revision: int = 1
    recorded_by: str = ""
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)

    @classmethod
    def record(cls, patient_id: str, detail: Detail, staff_id: str,
               now: dt.datetime) -> HistoryEntry:
        kind = KINDS[type(detail)]
        checked = detail.checked(f"entry.{kind.lower()}", now.date())
        return cls(entry_id=common.new_id(), patient_id=patient_id, kind=kind,
                   data=common.jsonable(checked), recorded_by=staff_id, created_at=now,
                   updated_at=now)

    @property
    def detail(self) -> Detail:
        return from_data(self.kind, self.data)

    def amend(self, detail: Detail, staff_id: str, now: dt.datetime) -> list[str]:
        """Replace the detail with a corrected one of the same kind; returns changed fields."""
        if KINDS[type(detail)] != self.kind:
            raise errors.field("entry", f"must stay a {self.kind.lower()} entry",
                               reason="HISTORY_KIND_CHANGED")
        data = common.jsonable(detail.checked(f"entry.{self.kind.lower()}", now.date()))
        changed = sorted(k for k in data if data[k] != self.data.get(k))
        if changed:
            self.data, self.recorded_by, self.updated_at = data, staff_id, now
            self.revision += 1
        return changed

    def snapshot(self) -> dict:
        return {"kind": self.kind, **self.data}


def failed_antidepressant_trials(entries: list[HistoryEntry]) -> int:
    return sum(1 for e in entries if e.kind == Kind.MEDICATION and e.detail.failed_trial)


def adequate_failed_antidepressant_trials(entries: list[HistoryEntry], min_weeks: int) -> int:
    """Failed trials that count towards treatment resistance (see Medication)."""
    return sum(1 for e in entries
               if e.kind == Kind.MEDICATION and e.detail.adequate_failed_trial(min_weeks))


def treatment_resistant(entries: list[HistoryEntry], policy) -> bool:
    """Whether the adequate failed trials reach the clinic's threshold."""
    return adequate_failed_antidepressant_trials(
        entries, policy.adequate_trial_min_weeks) >= policy.treatment_resistance_min_failed_trials
