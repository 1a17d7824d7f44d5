"""What scheduling keeps of intake's facts: known patients, clearances, treatment plans.

Built from intake's events only; intake owns the truth. Booking rules read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CLEARED = "CLEARED"
PLAN_ACTIVE = "ACTIVE"
PLAN_ENDED = "ENDED"
# A consent the plan needs was revoked: for booking, as good as ended (no active plan).
PLAN_SUSPENDED = "SUSPENDED"


@dataclass(eq=False)
class KnownPatient:
    """A patient intake registered; ``merged_into`` points at the surviving record."""

    patient_id: str
    preferred_location_id: str = ""
    merged_into: str | None = None
    registered_at: dt.datetime | None = None


@dataclass(eq=False)
class Clearance:
    """One candidacy decision; the latest per patient and modality counts."""

    decision_id: str
    patient_id: str
    modality: str
    outcome: str
    decided_by: str
    decided_at: dt.datetime
    # What a clearance tells the visit: an escort must drive the patient home (checked at
    # discharge) and the fasting instruction (checked at check-in).
    escort_required: bool = False
    fasting_instruction: str = ""

    @property
    def cleared(self) -> bool:
        return self.outcome == CLEARED


@dataclass(eq=False)
class PlanTerms:
    """The terms of one version of a treatment plan."""

    version: int
    series_sessions: int
    min_spacing_hours: int
    series_window_days: int
    dose_mcg: int
    duration_minutes: int = 0
    weight_measured_at: dt.datetime | None = None


@dataclass(eq=False)
class TreatmentPlan:
    plan_id: str
    patient_id: str
    modality: str
    indication_code: str
    version: int
    series_sessions: int = 0
    min_spacing_hours: int = 0
    series_window_days: int = 0
    dose_mcg: int = 0
    duration_minutes: int = 0  # each infusion's length (IV ketamine), 0 when not given
    # When the weight a weight-based dose came from was measured (None: not weight based).
    weight_measured_at: dt.datetime | None = None
    status: str = PLAN_ACTIVE
    end_reason: str = ""
    created_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None

    def amend(self, terms: PlanTerms) -> bool:
        """Take a newer version's terms; an older or repeated version changes nothing."""
        if terms.version <= self.version:
            return False
        self.version = terms.version
        self.series_sessions = terms.series_sessions
        self.min_spacing_hours = terms.min_spacing_hours
        self.series_window_days = terms.series_window_days
        self.dose_mcg = terms.dose_mcg
        self.duration_minutes = terms.duration_minutes
        self.weight_measured_at = terms.weight_measured_at
        return True

    def end(self, reason: str, at: dt.datetime) -> None:
        if self.status == PLAN_ENDED:
            return
        self.status, self.end_reason, self.ended_at = PLAN_ENDED, reason, at

    def suspend(self, reason: str, at: dt.datetime) -> None:
        """Take the plan out of force; only an active plan is suspended (a replay is a no-op)."""
        if self.status != PLAN_ACTIVE:
            return
        self.status, self.end_reason, self.ended_at = PLAN_SUSPENDED, reason, at


SUICIDALITY = "SUICIDALITY"


@dataclass(eq=False)
class SafetyFlag:
    """A safety flag intake raised; open until a clinician acknowledges it."""

    flag_id: str
    patient_id: str
    kind: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None = None

    @property
    def blocks_treatment(self) -> bool:
        return self.kind == SUICIDALITY and self.acknowledged_at is None
