"""Doses per session, by modality, in whole micrograms.

IV ketamine is weight based: the clinic's mg/kg of a weight measured within the
policy window, capped per kg and in absolute terms; a provider may adjust it with
a reason, never above the cap. Spravato is one of the clinic's fixed doses. TMS
has no dose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from clinic_intake.domain import common, errors
from clinic_intake.domain.policy import Policy
from clinic_intake.domain.vitals import Vitals

MCG_PER_MG = 1000


@dataclass(frozen=True)
class Dose:
    dose_mcg: int = 0
    computed_dose_mcg: int = 0
    mg_per_kg: str = ""
    weight_grams: int = 0
    weight_vitals_id: str = ""
    weight_measured_at: dt.datetime | None = None
    adjustment_reason: str = ""


def _mcg(mg: Decimal) -> int:
    return int((mg * MCG_PER_MG).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def recent_weight(weight: Vitals | None, policy: Policy, now: dt.datetime) -> Vitals:
    if weight is None:
        raise errors.Refused("WEIGHT_REQUIRED", "a weight-based dose needs the patient's "
                             "weight recorded")
    age = now - weight.measured_at
    if age > dt.timedelta(days=policy.weight_max_age_days):
        raise errors.Refused("WEIGHT_STALE", f"the latest weight is {age.days} days old; the "
                             f"dose needs one from the last {policy.weight_max_age_days} days",
                             vitals_id=weight.vitals_id)
    return weight


def cap_mcg(weight_kg: Decimal, policy: Policy) -> int:
    cap = weight_kg * policy.ketamine_max_mg_per_kg
    if policy.ketamine_max_dose_mg > 0:
        cap = min(cap, policy.ketamine_max_dose_mg)
    return _mcg(cap)


def ketamine(weight: Vitals | None, policy: Policy, now: dt.datetime,
             adjusted_mcg: int = 0, reason: str = "") -> Dose:
    """The IV ketamine dose from a recent weight, or the provider's adjustment of it."""
    weight = recent_weight(weight, policy, now)
    cap = cap_mcg(weight.weight_kg, policy)
    computed = min(_mcg(weight.weight_kg * policy.ketamine_mg_per_kg), cap)
    reason = common.optional_text(reason, "plan.dose.adjustment_reason", 500)
    if adjusted_mcg < 0:
        raise errors.field("plan.dose.dose_mcg", "must not be negative")
    if adjusted_mcg and adjusted_mcg != computed:
        if not reason:
            raise errors.field("plan.dose.adjustment_reason",
                               "is required when the dose differs from the computed one")
        if adjusted_mcg > cap:
            raise errors.Refused("DOSE_ABOVE_CAP", f"{adjusted_mcg} mcg is above the cap of "
                                 f"{cap} mcg for this weight", cap_mcg=cap)
    else:
        adjusted_mcg, reason = computed, ""
    return Dose(adjusted_mcg, computed, str(policy.ketamine_mg_per_kg), weight.weight_grams,
                weight.vitals_id, weight.measured_at, reason)


def spravato(dose_mcg: int, policy: Policy) -> Dose:
    allowed = [mg * MCG_PER_MG for mg in policy.spravato_doses_mg]
    if dose_mcg not in allowed:
        raise errors.field("plan.dose.dose_mcg", f"must be one of {allowed} for Spravato")
    return Dose(dose_mcg=dose_mcg)


def undosed(dose_mcg: int, modality: str) -> Dose:
    if dose_mcg:
        raise errors.field("plan.dose.dose_mcg", f"{modality} plans carry no dose")
    return Dose()
