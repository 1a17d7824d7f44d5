"""Contraindication rules evaluated against recorded facts, with what triggered each."""

import datetime as dt

import pytest
from clinic_intake.adapters.definitions import load_rules
from clinic_intake.domain import history
from clinic_intake.domain.contraindication_rules import rule_set_from
from clinic_intake.domain.contraindications import Outcome, PatientFacts
from clinic_intake.domain.instruments import DefinitionError
from clinic_intake.domain.vitals import Vitals

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
RULES = load_rules()


def _entry(detail) -> history.HistoryEntry:
    return history.HistoryEntry.record("p1", detail, "dr-lee", NOW)


def _bp(systolic, diastolic, days_ago=0) -> Vitals:
    return Vitals.record("p1", NOW - dt.timedelta(days=days_ago),
                         {"systolic_mmhg": systolic, "diastolic_mmhg": diastolic}, "rn", NOW)


def _facts(*details, bp=None) -> PatientFacts:
    return PatientFacts("p1", [_entry(d) for d in details],
                        bp if bp is not None else _bp(120, 80), NOW,
                        date_of_birth=dt.date(1984, 5, 17))


def _outcomes(modality, facts) -> dict:
    return {f.rule_id: f.outcome for f in RULES.evaluate(modality, facts)}


def test_a_patient_with_nothing_recorded_against_them_is_ok_on_every_rule():
    outcomes = _outcomes("IV_KETAMINE", _facts())
    assert set(outcomes.values()) == {Outcome.OK}
    assert "seizure_history" not in outcomes  # a TMS rule


@pytest.mark.parametrize(("detail", "rule", "outcome"), [
    (history.Condition("F31.2"), "psychosis_or_mania", Outcome.BLOCK),
    (history.Condition("F20.9"), "psychosis_or_mania", Outcome.BLOCK),
    (history.Condition("I21.4"), "cardiovascular_disease", Outcome.BLOCK),
    (history.Condition("Z33.1"), "pregnancy", Outcome.BLOCK),
    (history.Condition("H40.1110"), "elevated_intracranial_or_intraocular_pressure",
     Outcome.BLOCK),
    (history.Allergy("Ketamine hydrochloride"), "ketamine_hypersensitivity", Outcome.BLOCK),
    (history.SubstanceUse("cocaine", "CURRENT"), "active_substance_misuse",
     Outcome.NEEDS_REVIEW),
    (history.Condition("F11.20"), "active_substance_use_disorder", Outcome.NEEDS_REVIEW),
])
def test_recorded_facts_trigger_the_policy_rules(detail, rule, outcome):
    findings = {f.rule_id: f for f in RULES.evaluate("IV_KETAMINE", _facts(detail))}
    assert findings[rule].outcome == outcome
    assert findings[rule].facts[0].record.startswith("patients/p1/historyEntries/")


def test_findings_name_the_fact_that_triggered_them():
    finding = next(f for f in RULES.evaluate("SPRAVATO", _facts(history.Condition(
        "F31.2", onset_date=dt.date(2015, 6, 1)))) if f.rule_id == "psychosis_or_mania")
    assert [f.description for f in finding.facts] == ["condition F31.2 since 2015-06-01"]


def test_resolved_conditions_do_not_trigger_active_only_rules():
    resolved = history.Condition("Z33.1", dt.date(2024, 1, 1), dt.date(2024, 9, 1))
    assert _outcomes("IV_KETAMINE", _facts(resolved))["pregnancy"] == Outcome.OK


def test_former_substance_use_is_not_active_misuse():
    former = history.SubstanceUse("cocaine", "FORMER")
    assert _outcomes("IV_KETAMINE", _facts(former))["active_substance_misuse"] == Outcome.OK


def test_blood_pressure_thresholds_give_block_and_review():
    outcomes = _outcomes("IV_KETAMINE", _facts(bp=_bp(172, 96)))
    assert outcomes["uncontrolled_hypertension"] == Outcome.BLOCK
    assert outcomes["elevated_blood_pressure"] == Outcome.NEEDS_REVIEW
    mild = _outcomes("IV_KETAMINE", _facts(bp=_bp(142, 88)))
    assert (mild["uncontrolled_hypertension"], mild["elevated_blood_pressure"]) == \
        (Outcome.OK, Outcome.NEEDS_REVIEW)


def test_no_recent_blood_pressure_needs_review():
    stale = PatientFacts("p1", [], _bp(120, 80, days_ago=45), NOW)
    assert _outcomes("SPRAVATO", stale)["no_recent_blood_pressure"] == Outcome.NEEDS_REVIEW
    none = PatientFacts("p1", [], None, NOW)
    assert _outcomes("SPRAVATO", none)["no_recent_blood_pressure"] == Outcome.NEEDS_REVIEW


def test_rules_apply_only_to_their_modalities():
    psychosis = _facts(history.Condition("F20.9"))
    assert "psychosis_or_mania" not in _outcomes("TMS", psychosis)
    seizures = _outcomes("TMS", _facts(history.Condition("G40.909")))
    assert seizures["seizure_history"] == Outcome.NEEDS_REVIEW


def test_blocking_findings_come_first():
    findings = RULES.evaluate("IV_KETAMINE", _facts(history.Condition("F31.2"), bp=_bp(145, 85)))
    outcomes = [f.outcome for f in findings]
    assert outcomes == sorted(outcomes, key=[Outcome.BLOCK, Outcome.NEEDS_REVIEW,
                                             Outcome.OK].index)
    assert outcomes[0] == Outcome.BLOCK


def test_current_medication_rule_ignores_stopped_medications():
    rules = rule_set_from({"rules": [{"id": "maoi", "modalities": ["SPRAVATO"],
                                      "finding": "needs_review", "source": "label",
                                      "when": {"current_medications": ["phenelzine"]}}]})
    current = history.Medication("Phenelzine", start_date=dt.date(2025, 1, 1))
    stopped = history.Medication("phenelzine", stop_date=dt.date(2025, 6, 1))
    assert rules.evaluate("SPRAVATO", _facts(current))[0].outcome == Outcome.NEEDS_REVIEW
    assert rules.evaluate("SPRAVATO", _facts(stopped))[0].outcome == Outcome.OK


SOURCE = {"source": "a guideline"}


@pytest.mark.parametrize("rule", [
    {"id": "x", "modalities": ["ECT"], "finding": "block", "when": {"condition_codes": ["F"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "maybe", "when": {"condition_codes": ["F"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "block", "when": {"horoscope": ["leo"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"condition_codes": ["F"], "allergy_substances": ["x"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"blood_pressure_at_least": {"systolic": "high"}}},
    {"modalities": ["TMS"], "finding": "block", "when": {"condition_codes": ["F"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"condition_codes": ["Q28.3-Q28.0"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"condition_codes": ["F33.2 or so"]}},
    {"id": "x", "modalities": ["TMS"], "finding": "block", "when": {"age_below": "adult"}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"age_below": {"years": 18, "time_zone": "Mars/Olympus"}}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"screening_answers": {"instrument": "TMS-SAFETY", "items": ["metal"]}}},
    {"id": "x", "modalities": ["TMS"], "finding": "block",
     "when": {"screening_answers": {"instrument": "TMS-SAFETY", "items": {"one": "metal"}}}},
])
def test_malformed_rules_are_refused(rule):
    with pytest.raises(DefinitionError):
        rule_set_from({"rules": [{**SOURCE, **rule}]})


@pytest.mark.parametrize("source", [None, "", "  "])
def test_a_rule_without_a_source_is_refused(source):
    rule = {"id": "x", "modalities": ["TMS"], "finding": "block",
            "when": {"condition_codes": ["F"]}, "source": source}
    with pytest.raises(DefinitionError, match="source"):
        rule_set_from({"rules": [rule]})


def test_every_packaged_rule_names_its_source():
    assert RULES.rules
    assert all(len(rule.source) > 10 for rule in RULES.rules)


def test_duplicate_rule_ids_are_refused():
    rule = {"id": "x", "modalities": ["TMS"], "finding": "block", **SOURCE,
            "when": {"condition_codes": ["F"]}}
    with pytest.raises(DefinitionError):
        rule_set_from({"rules": [rule, rule]})
