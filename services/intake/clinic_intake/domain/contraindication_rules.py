"""The tests a contraindication rule can make, and reading a rule set from plain data."""

from __future__ import annotations

import datetime as dt

from clinic_intake.domain.contraindications import Fact, Outcome, PatientFacts, Rule, RuleSet
from clinic_intake.domain.history import Kind
from clinic_intake.domain.icd10cm import code_matcher, undotted
from clinic_intake.domain.instruments import DefinitionError
from clinic_intake.domain.rule_tests import (
    age_below,
    no_date_of_birth,
    no_screening,
    screening_answers,
    too_few_adequate_trials,
)

MODALITIES = frozenset({"IV_KETAMINE", "SPRAVATO", "TMS"})
OUTCOMES = {"block": Outcome.BLOCK, "needs_review": Outcome.NEEDS_REVIEW}


def _words(values) -> list[str]:
    return [str(v).strip().lower() for v in values]


def condition_codes(codes, active_only=False):
    """A condition whose code is one of ``codes``: a code or prefix (I67.1 takes I67.1 and
    anything beneath it) or an inclusive range of them (I69.10-I69.19, Q28.0-Q28.3)."""
    matchers = [code_matcher(str(c)) for c in ([codes] if isinstance(codes, str) else codes)]

    def test(facts: PatientFacts) -> list[Fact]:
        return [Fact(f"condition {c.code}" + (f" since {c.onset_date}" if c.onset_date else ""),
                     facts.record(e)) for e, c in facts.details(Kind.CONDITION)
                if any(m(undotted(c.code)) for m in matchers)
                and not (active_only and c.resolved_date)]
    return test


def allergy_substances(words):
    words = _words(words)

    def test(facts: PatientFacts) -> list[Fact]:
        return [Fact(f"allergy to {a.substance}", facts.record(e))
                for e, a in facts.details(Kind.ALLERGY)
                if any(w in a.substance.lower() for w in words)]
    return test


def substance_use(status="CURRENT", substances=None):
    words = _words(substances or [])

    def test(facts: PatientFacts) -> list[Fact]:
        return [Fact(f"{u.status.lower()} use of {u.substance}", facts.record(e))
                for e, u in facts.details(Kind.SUBSTANCE_USE)
                if u.status == status and (not words or any(w in u.substance.lower()
                                                             for w in words))]
    return test


def current_medications(words):
    words = _words(words)

    def test(facts: PatientFacts) -> list[Fact]:
        return [Fact(f"current medication {m.medication_name}", facts.record(e))
                for e, m in facts.details(Kind.MEDICATION)
                if m.stop_date is None and any(w in m.medication_name.lower() for w in words)]
    return test


def blood_pressure_at_least(systolic, diastolic):
    systolic, diastolic = int(systolic), int(diastolic)

    def test(facts: PatientFacts) -> list[Fact]:
        bp = facts.latest_blood_pressure
        if bp is None or (bp.systolic_mmhg < systolic and bp.diastolic_mmhg < diastolic):
            return []
        return [Fact(f"blood pressure {bp.systolic_mmhg}/{bp.diastolic_mmhg} mmHg measured "
                     f"{bp.measured_at:%Y-%m-%d %H:%M} UTC",
                     f"patients/{facts.patient_id}/vitals/{bp.vitals_id}")]
    return test


def no_blood_pressure_within_days(days):
    days = int(days)

    def test(facts: PatientFacts) -> list[Fact]:
        bp = facts.latest_blood_pressure
        if bp is not None and bp.measured_at >= facts.now - dt.timedelta(days=days):
            return []
        return [Fact(f"no blood pressure measured in the last {days} days")]
    return test


TESTS = {f.__name__: f for f in (condition_codes, allergy_substances, substance_use,
                                 current_medications, blood_pressure_at_least,
                                 no_blood_pressure_within_days, age_below, no_date_of_birth,
                                 screening_answers, no_screening, too_few_adequate_trials)}


def _test(when: dict, where: str):
    options = {k: v for k, v in when.items() if k == "active_only"}
    named = [k for k in when if k != "active_only"]
    if len(named) != 1 or named[0] not in TESTS:
        raise DefinitionError(f"{where}: 'when' needs exactly one of {sorted(TESTS)}")
    argument = when[named[0]]
    if isinstance(argument, dict):
        return TESTS[named[0]](**argument, **options)
    return TESTS[named[0]](argument, **options)


def rule_from(data: dict, where: str) -> Rule:
    try:
        modalities = frozenset(str(m) for m in data["modalities"])
        if not modalities or not modalities <= MODALITIES:
            raise ValueError(f"modalities must be among {sorted(MODALITIES)}")
        if data["finding"] not in OUTCOMES:
            raise ValueError(f"finding must be one of {sorted(OUTCOMES)}")
        source = str(data.get("source") or "").strip()
        if not source:
            raise ValueError("source is required: the label section or guideline the rule "
                             "comes from")
        return Rule(str(data["id"]), str(data.get("title", data["id"])), modalities,
                    OUTCOMES[data["finding"]], _test(dict(data["when"]), where), source)
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(f"{where}: {exc}") from None


def rule_set_from(data: dict, where: str = "rules") -> RuleSet:
    rules = tuple(rule_from(r, f"{where} rule {i + 1}")
                  for i, r in enumerate(data.get("rules") or []))
    ids = [r.rule_id for r in rules]
    if len(set(ids)) != len(ids):
        raise DefinitionError(f"{where}: rule ids must be unique")
    return RuleSet(rules)
