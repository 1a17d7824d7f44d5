"""Doses per session under a dosing protocol, in whole micrograms.

Weight-based protocols (IV ketamine) dose from a weight measured within the policy window:
mg/kg over the infusion, or mg/kg/h for its duration. A provider may adjust the computed
dose with a reason. Every dose, computed or adjusted, must be within the protocol's caps: a
cap that would change the dose is a refusal naming it, never a silent reduction. Fixed
protocols (Spravato) take one of their doses, and may fix the first session's. Some
modalities (TMS) have no dose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from clinic_intake.domain import common, errors
from clinic_intake.domain.policy import Policy
from clinic_intake.domain.protocols import DoseRule, Protocol
from clinic_intake.domain.vitals import Vitals

MCG_PER_MG = 1000
CAP_UNITS = {"max_dose_mg": "mg", "max_mg_per_kg": "mg/kg",
             "max_mg_per_kg_per_hour": "mg/kg/h"}


@dataclass(frozen=True)
class Dose:
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


@dataclass(frozen=True)
class DoseRequest:
    """What a provider may ask for: an adjusted dose (with a reason), a duration, a first dose."""

    dose_mcg: int = 0
    adjustment_reason: str = ""
    duration_minutes: int = 0
    first_dose_mcg: int = 0


def _mcg(mg: Decimal) -> int:
    return int((mg * MCG_PER_MG).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _text(number: Decimal) -> str:
    """A decimal as plain text, to three places at most: "0.5", "2", "0.667"."""
    return format(number.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize(), "f")


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


def caps_mcg(protocol: Protocol, weight_kg: Decimal, minutes: int) -> dict[str, int]:
    """Each of the protocol's caps as micrograms for this weight and duration."""
    caps = protocol.caps
    found = {"max_dose_mg": caps.max_dose_mg,
             "max_mg_per_kg": caps.max_mg_per_kg and caps.max_mg_per_kg * weight_kg,
             "max_mg_per_kg_per_hour": caps.max_mg_per_kg_per_hour
             and caps.max_mg_per_kg_per_hour * weight_kg * minutes / 60}
    return {name: _mcg(mg) for name, mg in found.items() if mg is not None}


def within_caps(protocol: Protocol, dose_mcg: int, weight_kg: Decimal, minutes: int,
                what: str) -> None:
    """Refuses a dose above any of the protocol's caps, naming the first it exceeds."""
    for cap, limit in caps_mcg(protocol, weight_kg, minutes).items():
        if dose_mcg > limit:
            value = getattr(protocol.caps, cap)
            raise errors.Refused(
                "DOSE_ABOVE_CAP", f"{what} of {dose_mcg} mcg over {minutes} minutes is above "
                f"the {protocol.protocol_id} cap {cap} of {_text(value)} {CAP_UNITS[cap]} "
                f"({limit} mcg for {_text(weight_kg)} kg); a provider may prescribe a lower "
                f"dose with a reason", protocol=protocol.protocol_id, cap=cap,
                cap_value=_text(value), cap_mcg=limit, dose_mcg=dose_mcg)


def _weighted(protocol: Protocol, weight: Vitals | None, policy: Policy, now: dt.datetime,
              asked: DoseRequest) -> Dose:
    weight = recent_weight(weight, policy, now)
    kg, minutes = weight.weight_kg, protocol.duration(asked.duration_minutes)
    per_kg = protocol.per_kg(minutes)
    computed = _mcg(kg * per_kg)
    within_caps(protocol, computed, kg, minutes, "the computed dose")
    reason = common.optional_text(asked.adjustment_reason, "plan.dose.adjustment_reason", 500)
    given = asked.dose_mcg or computed
    if given != computed:
        if not reason:
            raise errors.field("plan.dose.adjustment_reason",
                               "is required when the dose differs from the computed one")
        within_caps(protocol, given, kg, minutes, "the adjusted dose")
    else:
        reason = ""
    rate = Decimal(given) / MCG_PER_MG / kg * 60 / minutes
    if given == computed and protocol.rule == DoseRule.WEIGHT_RATE:
        rate = protocol.mg_per_kg_per_hour
    return Dose(given, computed, _text(per_kg), weight.weight_grams, weight.vitals_id,
                weight.measured_at, reason, minutes, _text(rate))


def _fixed(protocol: Protocol, asked: DoseRequest) -> Dose:
    """One of the protocol's doses (its caps are checked on load); the first session takes
    the protocol's first dose if it sets one, else the plan's dose."""
    allowed = [mg * MCG_PER_MG for mg in protocol.doses_mg]
    if asked.dose_mcg not in allowed:
        raise errors.field("plan.dose.dose_mcg",
                           f"must be one of {allowed} under {protocol.protocol_id}")
    first = protocol.first_dose_mg * MCG_PER_MG if protocol.first_dose_mg else asked.dose_mcg
    if asked.first_dose_mcg and asked.first_dose_mcg != first:
        raise errors.field("plan.dose.first_dose_mcg", f"must be {first} under "
                           f"{protocol.protocol_id} (the series' first session) or left unset")
    return Dose(dose_mcg=asked.dose_mcg, first_dose_mcg=first)


def dose(protocol: Protocol, asked: DoseRequest, weight: Vitals | None, policy: Policy,
         now: dt.datetime) -> Dose:
    """The dose per session under ``protocol``; ``weight`` is the latest, if any."""
    if asked.dose_mcg < 0 or asked.first_dose_mcg < 0 or asked.duration_minutes < 0:
        raise errors.field("plan.dose", "doses and durations must not be negative")
    if protocol.rule.weighted:
        if asked.first_dose_mcg:
            raise errors.field("plan.dose.first_dose_mcg",
                               f"is not set under {protocol.protocol_id}")
        return _weighted(protocol, weight, policy, now, asked)
    protocol.duration(asked.duration_minutes)
    if protocol.rule == DoseRule.FIXED:
        return _fixed(protocol, asked)
    if asked.dose_mcg or asked.first_dose_mcg:
        raise errors.field("plan.dose.dose_mcg", f"{protocol.modality} plans carry no dose")
    return Dose()
