"""The visit day's rules: check-in checklist, start, vitals, end, discharge, completion.

The appointment keeps FHIR status CHECKED_IN from check-in to completion; the phase says
where the visit stands inside it (FHIR Appointment has no in-progress status).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from clinic_scheduling.domain import errors

# Modalities after which the patient must not drive: an escort takes them home.
ESCORTED_MODALITIES = frozenset({"IV_KETAMINE", "SPRAVATO"})
SPRAVATO = "SPRAVATO"


class Phase(StrEnum):
    NONE = ""
    CHECKED_IN = "CHECKED_IN"
    IN_PROGRESS = "IN_PROGRESS"
    RECOVERY = "RECOVERY"
    DISCHARGED = "DISCHARGED"


@dataclass(frozen=True)
class VisitPolicy:
    """Clinic settings for the visit day (see config.py)."""

    systolic_alert_at: int = 180
    diastolic_alert_at: int = 110
    spo2_alert_below: int = 92
    pulse_alert_below: int = 45
    pulse_alert_at: int = 130
    spravato_observation: dt.timedelta = dt.timedelta(hours=2)
    # Spravato's BP "at dose" may be taken this long before the dose (or at it), and the
    # "about 40 minutes" BP within this tolerance of 40 minutes after the dose.
    spravato_bp_before_dose: dt.timedelta = dt.timedelta(minutes=30)
    spravato_bp_after_dose: dt.timedelta = dt.timedelta(minutes=40)
    spravato_bp_tolerance: dt.timedelta = dt.timedelta(minutes=10)
    # A weight-based dose needs a weight measured no longer ago than this at check-in.
    weight_max_age: dt.timedelta = dt.timedelta(days=30)


@dataclass(eq=False)
class VitalSigns:
    """One set of readings taken during a visit."""

    taken_at: dt.datetime
    systolic_mmhg: int
    diastolic_mmhg: int
    pulse_bpm: int
    spo2_percent: int
    recorded_by: str = ""
    vitals_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    def validate(self) -> None:
        for name, value, low, high in (("systolic_mmhg", self.systolic_mmhg, 40, 300),
                                       ("diastolic_mmhg", self.diastolic_mmhg, 20, 200),
                                       ("pulse_bpm", self.pulse_bpm, 20, 250),
                                       ("spo2_percent", self.spo2_percent, 50, 100)):
            if not low <= value <= high:
                raise errors.field(name, f"must be between {low} and {high}")
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise errors.field("diastolic_mmhg", "must be below the systolic pressure")

    def alerts(self, policy: VisitPolicy) -> list[str]:
        """The readings out of the policy's range."""
        out = []
        if self.systolic_mmhg >= policy.systolic_alert_at:
            out.append("systolic_mmhg")
        if self.diastolic_mmhg >= policy.diastolic_alert_at:
            out.append("diastolic_mmhg")
        if not policy.pulse_alert_below <= self.pulse_bpm < policy.pulse_alert_at:
            out.append("pulse_bpm")
        if self.spo2_percent < policy.spo2_alert_below:
            out.append("spo2_percent")
        return out


@dataclass(frozen=True)
class Checklist:
    """What the front desk confirmed at check-in, and what the clearance asks for."""

    escort_confirmed: bool
    fasting_confirmed: bool
    escort_required: bool = False
    fasting_required: bool = False
    weight_outdated: bool = False  # the plan's weight-based dose rests on an old weight

    def missing(self) -> list[str]:
        out = ["recent_weight"] if self.weight_outdated else []
        if self.escort_required and not self.escort_confirmed:
            out.append("escort_confirmed")
        if self.fasting_required and not self.fasting_confirmed:
            out.append("fasting_confirmed")
        return out


def spravato_monitoring_gaps(dose_at: dt.datetime, vitals: list[VitalSigns],
                             policy: VisitPolicy) -> list[str]:
    """The blood pressures Spravato's label asks for that were not taken."""
    gaps = []
    if not any(dose_at - policy.spravato_bp_before_dose <= v.taken_at <= dose_at
               for v in vitals):
        gaps.append("bp_at_dose")
    target = dose_at + policy.spravato_bp_after_dose
    if not any(abs(v.taken_at - target) <= policy.spravato_bp_tolerance for v in vitals):
        gaps.append("bp_40_min_after_dose")
    return gaps


def steps_missing(*, treatment: bool, checked_in: bool, started: bool, ended: bool,
                  discharged: bool) -> list[str]:
    """The steps a completion still needs: a treatment every one, another visit check-in."""
    steps = [("checked_in", checked_in)]
    if treatment:
        steps += [("started", started), ("ended", ended), ("discharged", discharged)]
    return [name for name, done in steps if not done]


EM_LEVELS = (2, 3, 4, 5)  # established-patient E/M, 99212-99215
PROVIDER_CREDENTIALS = ("MD", "DO", "NP", "PA", "PHD", "PSYD", "LCSW", "LPC", "LMFT")
TMS = "TMS"


@dataclass(frozen=True)
class BillingFacts:
    """What the clinician reports at completion for billing's coding; 0/""/None: not
    reported."""

    em_level: int = 0
    provider_credential: str = ""
    motor_threshold_redetermined: bool = False
    drug_wasted_mcg: int | None = None

    def validate(self, *, modality: str, drug: str) -> None:
        """Refuse a fact out of range or one the visit cannot have."""
        if self.em_level and self.em_level not in EM_LEVELS:
            raise errors.field("em_level", "must be one of 2, 3, 4, 5 (99212-99215), "
                               "or 0 when not reported", reason="EM_LEVEL_INVALID")
        if self.provider_credential and self.provider_credential not in PROVIDER_CREDENTIALS:
            raise errors.field("provider_credential",
                               f"must be one of {', '.join(PROVIDER_CREDENTIALS)}",
                               reason="PROVIDER_CREDENTIAL_INVALID")
        if self.motor_threshold_redetermined and modality != TMS:
            raise errors.field("motor_threshold_redetermined",
                               "is reported for a TMS session only",
                               reason="MOTOR_THRESHOLD_NOT_TMS")
        if self.drug_wasted_mcg is not None:
            if self.drug_wasted_mcg < 0:
                raise errors.field("drug_wasted_mg", "must not be negative",
                                   reason="DRUG_WASTED_INVALID")
            if not drug:
                raise errors.field("drug_wasted_mg",
                                   "is reported for a visit that recorded a drug at its start",
                                   reason="DRUG_WASTED_WITHOUT_DRUG")
