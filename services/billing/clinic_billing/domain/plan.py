"""What billing keeps of a patient's treatment plans (intake's events): what a visit's
lines point at (the indication) and what the coding falls back to when a visit does not
report it (the plan's dose and infusion length)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class PlanFacts:
    plan_id: str
    patient_id: str
    modality: str = ""  # IV_KETAMINE, SPRAVATO or TMS; empty until the creation is heard of
    version: int = 0
    indication_code: str = ""
    dose_mcg: int = 0
    duration_minutes: int = 0
    ended: bool = False
    changed_at: dt.datetime = field(kw_only=True)

    def restate(self, *, version: int, indication_code: str, dose_mcg: int,
                duration_minutes: int, now: dt.datetime) -> None:
        """Takes a newer version's facts; an older version arriving late changes nothing."""
        if version and version < self.version:
            return
        self.version = version or self.version
        self.indication_code = indication_code or self.indication_code
        self.dose_mcg, self.duration_minutes = dose_mcg, duration_minutes
        self.changed_at = now

    @property
    def dose_mg(self) -> int | None:
        """Whole milligrams, rounded half up, as scheduling counts them; None when undosed."""
        return (self.dose_mcg + 500) // 1000 if self.dose_mcg else None


def current(plans: list[PlanFacts], modality: str) -> PlanFacts | None:
    """The patient's plan for ``modality``: the latest one in force, else the latest."""
    mine = sorted((p for p in plans if p.modality == modality),
                  key=lambda p: (not p.ended, p.changed_at))
    return mine[-1] if mine else None


def treated_indication(plans: list[PlanFacts]) -> str:
    """What the patient is being treated for: the indication of the latest plan in force of
    any modality (a follow-up or evaluation has no modality of its own); empty if none."""
    standing = sorted((p for p in plans if not p.ended and p.indication_code),
                      key=lambda p: p.changed_at)
    return standing[-1].indication_code if standing else ""
