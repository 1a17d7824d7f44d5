"""Treatment plans: modality, indication, series and dose, in versions that are kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_intake.domain import common, errors
from clinic_intake.domain.dosing import Dose
from clinic_intake.domain.policy import Policy, Series


class PlanState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
    SUSPENDED = "SUSPENDED"


class EndReason(enum.StrEnum):
    COMPLETED = "COMPLETED"
    DISCONTINUED = "DISCONTINUED"
    PATIENT_WITHDREW = "PATIENT_WITHDREW"


def series(modality: str, requested: Series, policy: Policy) -> Series:
    """The requested series, zero fields taking the modality's default, checked."""
    default = policy.series_defaults.get(modality, Series(0, 0, 0))
    chosen = Series(requested.sessions or default.sessions,
                    requested.min_spacing_hours or default.min_spacing_hours,
                    requested.window_days or default.window_days)
    for name, low, high in (("sessions", 1, 100), ("min_spacing_hours", 1, 24 * 14),
                            ("window_days", 1, 365)):
        if not low <= getattr(chosen, name) <= high:
            raise errors.field(f"plan.series.{name}", f"must be between {low} and {high}")
    least = policy.min_spacing_hours.get(modality, 0)
    if chosen.min_spacing_hours < least:
        raise errors.Refused("SPACING_BELOW_POLICY", f"{modality} sessions must be at least "
                             f"{least} hours apart", min_spacing_hours=least)
    if (chosen.sessions - 1) * chosen.min_spacing_hours > chosen.window_days * 24:
        raise errors.field("plan.series.window_days",
                           "is too short for the sessions at their spacing")
    return chosen


@dataclass
class PlanVersion:
    """One version of a plan's content, kept whole."""

    plan_id: str
    version: int
    indication_code: str
    sessions: int
    min_spacing_hours: int
    window_days: int
    dose_mcg: int = 0
    computed_dose_mcg: int = 0
    mg_per_kg: str = ""
    weight_grams: int = 0
    weight_vitals_id: str = ""
    weight_measured_at: dt.datetime | None = None
    adjustment_reason: str = ""
    duration_minutes: int = 0
    mg_per_kg_per_hour: str = ""
    first_dose_mcg: int = 0
    protocol_id: str = ""  # empty on versions written before dosing protocols
    reason: str = ""
    written_by: str = ""
    written_at: dt.datetime = field(kw_only=True)

    @property
    def series(self) -> Series:
        return Series(self.sessions, self.min_spacing_hours, self.window_days)

    @property
    def dose(self) -> Dose:
        return Dose(self.dose_mcg, self.computed_dose_mcg, self.mg_per_kg, self.weight_grams,
                    self.weight_vitals_id, self.weight_measured_at, self.adjustment_reason,
                    self.duration_minutes, self.mg_per_kg_per_hour, self.first_dose_mcg)

    def content(self) -> tuple:
        return (self.indication_code, self.protocol_id, self.series, self.dose)

    def next(self, *, indication_code: str, series: Series, dose: Dose, reason: str,
             staff_id: str, now: dt.datetime, protocol_id: str | None = None) -> PlanVersion:
        """The following version; ``protocol_id`` None keeps this version's protocol."""
        return PlanVersion(self.plan_id, self.version + 1, indication_code, series.sessions,
                           series.min_spacing_hours, series.window_days,
                           **dataclasses.asdict(dose),
                           protocol_id=self.protocol_id if protocol_id is None else protocol_id,
                           reason=reason, written_by=staff_id, written_at=now)


@dataclass
class TreatmentPlan:
    plan_id: str
    patient_id: str
    modality: str
    decision_id: str
    version: int = 1
    state: str = PlanState.ACTIVE
    created_at: dt.datetime = field(kw_only=True)
    ended_at: dt.datetime | None = None
    ended_by: str = ""
    end_reason: str = ""

    @classmethod
    def create(cls, patient_id: str, modality: str, decision_id: str, indication_code: str,
               series: Series, dose: Dose, staff_id: str,
               now: dt.datetime, protocol_id: str = "") -> tuple[TreatmentPlan, PlanVersion]:
        plan = cls(common.new_id(), patient_id, modality, decision_id, created_at=now)
        first = PlanVersion(plan.plan_id, 1, common.icd10(indication_code,
                                                          "plan.indication_code"),
                            series.sessions, series.min_spacing_hours, series.window_days,
                            **dataclasses.asdict(dose), protocol_id=protocol_id,
                            written_by=staff_id, written_at=now)
        return plan, first

    @property
    def active(self) -> bool:
        return self.state == PlanState.ACTIVE

    def ensure_active(self) -> None:
        if self.state == PlanState.SUSPENDED:
            raise errors.Refused("PLAN_SUSPENDED", "this plan is suspended (a consent it needs "
                                 "was revoked); end it and write a new one",
                                 plan_id=self.plan_id)
        if not self.active:
            raise errors.Refused("PLAN_ENDED", "this plan has ended; write a new one",
                                 plan_id=self.plan_id)

    def amend(self, current: PlanVersion, new: PlanVersion) -> bool:
        """Make ``new`` the current version unless it changes nothing; True if it was made."""
        self.ensure_active()
        if new.content() == current.content():
            return False
        self.version = new.version
        return True

    def end(self, reason: str, staff_id: str, now: dt.datetime) -> None:
        """End the plan, in force or suspended; its content (and so its version) stays."""
        reason = common.choice(EndReason, reason, "reason")
        if self.state != PlanState.SUSPENDED:
            self.ensure_active()
        self.state, self.end_reason, self.ended_at, self.ended_by = \
            PlanState.ENDED, reason, now, staff_id

    def suspend(self) -> bool:
        """Take the plan out of force (a consent it needs was revoked); True if it was in force.

        A new consent does not resume it: a provider writes a new plan.
        """
        if not self.active:
            return False
        self.state = PlanState.SUSPENDED
        return True
