"""The packaged rule set, rule by rule: the codes and answers that trigger each, and the
nearby ones that must not; code ranges; age; the TMS safety questionnaire; adequate trials."""

import datetime as dt

import pytest
from clinic_intake.adapters.definitions import load_instruments, load_rules
from clinic_intake.domain import history
from clinic_intake.domain.contraindications import Outcome, PatientFacts
from clinic_intake.domain.icd10cm import code_matcher
from clinic_intake.domain.policy import Policy
from clinic_intake.domain.screening import Screening
from clinic_intake.domain.vitals import Vitals

NOW = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)  # noon in the clinics' time zone
ADULT = dt.date(1984, 5, 17)
RULES = load_rules()
TMS_SAFETY = load_instruments().get("TMS-SAFETY")
BLOCK, REVIEW, OK = Outcome.BLOCK, Outcome.NEEDS_REVIEW, Outcome.OK


def _entry(detail) -> history.HistoryEntry:
    return history.HistoryEntry.record("p1", detail, "dr-lee", NOW)


def _facts(*details, born=ADULT, screenings=(), now=NOW, policy=None) -> PatientFacts:
    bp = Vitals.record("p1", now, {"systolic_mmhg": 120, "diastolic_mmhg": 80}, "rn", now)
    return PatientFacts("p1", [_entry(d) for d in details], bp, now, date_of_birth=born,
                        screenings=list(screenings), policy=policy or Policy())


def _outcome(rule_id: str, modality: str, facts: PatientFacts) -> Outcome:
    return {f.rule_id: f.outcome for f in RULES.evaluate(modality, facts)}[rule_id]


def _condition(code: str, **dates) -> history.Condition:
    return history.Condition(code, **dates)


# (rule, modality, finding, codes that trigger it, nearby codes that must not)
CODE_RULES = [
    ("cardiovascular_disease", "SPRAVATO", BLOCK, ["I20.9", "I21.4", "I25.10", "I50.9"],
     ["I26.99", "I10", "I63.9", "I69.10", "I67.2"]),
    ("aneurysmal_vascular_disease", "SPRAVATO", BLOCK,
     ["I67.1", "I71.20", "I71.40", "I71.010", "I72.0", "I72.4", "I79.0"],
     ["I67.2", "I73.9", "I70.0", "I77.71"]),
    ("aneurysmal_vascular_disease", "IV_KETAMINE", BLOCK, ["I72.5"], ["I70.0"]),
    ("arterial_dissection", "SPRAVATO", REVIEW, ["I77.71", "I77.74"], ["I77.1", "I77.6"]),
    ("arteriovenous_malformation", "SPRAVATO", BLOCK,
     ["Q28.0", "Q28.1", "Q28.2", "Q28.3", "Q27.30", "Q27.34"],
     ["Q28.8", "Q28.9", "Q27.4", "Q27.2"]),
    ("intracranial_haemorrhage", "SPRAVATO", BLOCK,
     ["I60.9", "I61.9", "I62.00", "I62.9", "I69.00", "I69.10", "I69.198", "I69.20"],
     ["I63.9", "I69.30", "I69.398", "I67.2"]),
    ("psychosis_or_mania", "SPRAVATO", BLOCK,
     ["F20.9", "F25.0", "F29", "F30.10", "F31.2", "F32.3", "F33.3", "F06.0", "F06.2",
      "F53.1"],
     ["F32.2", "F33.2", "F33.1", "F06.4", "F06.30", "F34.1", "F53.0"]),
    ("pregnancy", "SPRAVATO", BLOCK,
     ["Z33.1", "Z33.3", "Z34.00", "Z34.90", "Z3A.00", "Z3A.12", "O09.90", "O99.340"],
     ["Z33.2", "Z30.09", "Z32.00", "Z39.2"]),
    ("pregnancy", "IV_KETAMINE", BLOCK, ["Z3A.00"], ["Z33.2"]),
    ("pregnancy_tms", "TMS", REVIEW, ["Z34.80", "Z3A.20", "O09.90"], ["Z33.2"]),
    ("active_substance_use_disorder", "SPRAVATO", REVIEW,
     ["F10.20", "F11.20", "F12.10", "F14.20", "F19.20"], ["F17.210", "F20.9"]),
    ("elevated_intracranial_or_intraocular_pressure", "IV_KETAMINE", BLOCK,
     ["G93.2", "G93.6", "H40.1110", "H40.9"], ["G93.1", "H35.30"]),
    ("severe_hepatic_impairment", "SPRAVATO", BLOCK,
     ["K72.10", "K72.90", "K70.30", "K70.31", "K70.40", "K74.60", "K74.69", "K74.3",
      "K76.6", "K76.7"],
     ["K70.0", "K70.10", "K74.00", "K76.0", "K76.89", "K75.81"]),
    ("severe_hepatic_impairment_ketamine", "IV_KETAMINE", REVIEW, ["K72.10", "K74.60"],
     ["K76.0"]),
    ("seizure_history", "TMS", REVIEW, ["G40.909", "R56.9"], ["G43.909", "G47.00"]),
    ("tms_head_implant", "TMS", BLOCK, ["Z96.21", "Z96.82"],
     ["Z96.1", "Z96.22", "Z96.81", "Z95.0"]),
    ("tms_cardiac_device", "TMS", REVIEW, ["Z95.0", "Z95.810", "Z95.811", "Z95.818"],
     ["Z95.1", "Z95.2", "Z95.820"]),
    ("tms_other_implant", "TMS", REVIEW, ["Z95.828", "Z98.2", "Z96.29"],
     ["Z95.820", "Z98.1", "Z96.21"]),
]


@pytest.mark.parametrize(("rule", "modality", "finding", "codes", "nearby"), CODE_RULES)
def test_each_code_rule_takes_its_codes_and_not_the_nearby_ones(rule, modality, finding,
                                                                codes, nearby):
    for code in codes:
        assert _outcome(rule, modality, _facts(_condition(code))) == finding, code
    for code in nearby:
        assert _outcome(rule, modality, _facts(_condition(code))) == OK, code


@pytest.mark.parametrize(("code", "rule"), [
    ("I69.10", "intracranial_haemorrhage"), ("I69.151", "intracranial_haemorrhage"),
    ("I72.0", "aneurysmal_vascular_disease"), ("I72.4", "aneurysmal_vascular_disease"),
    ("Q28.0", "arteriovenous_malformation"), ("Q28.3", "arteriovenous_malformation"),
    ("Q27.30", "arteriovenous_malformation"), ("F32.3", "psychosis_or_mania"),
    ("F33.3", "psychosis_or_mania"), ("F06.2", "psychosis_or_mania"),
    ("Z34.00", "pregnancy"), ("Z3A.00", "pregnancy"), ("Z3A.24", "pregnancy"),
])
def test_review_cases_that_spravato_used_to_clear_now_block(code, rule):
    findings = RULES.evaluate("SPRAVATO", _facts(_condition(code)))
    blocking = {f.rule_id for f in findings if f.outcome == BLOCK}
    assert rule in blocking


def test_pregnancy_codes_block_only_while_active():
    resolved = _condition("Z3A.30", onset_date=dt.date(2024, 1, 1),
                          resolved_date=dt.date(2024, 9, 1))
    assert _outcome("pregnancy", "SPRAVATO", _facts(resolved)) == OK


def test_haemorrhage_is_a_history_even_when_resolved():
    resolved = _condition("I61.9", onset_date=dt.date(2019, 1, 1),
                          resolved_date=dt.date(2019, 3, 1))
    assert _outcome("intracranial_haemorrhage", "SPRAVATO", _facts(resolved)) == BLOCK


@pytest.mark.parametrize(("substance", "outcome"), [
    ("alcohol", REVIEW), ("Alcohol (beer)", REVIEW), ("cannabis", OK)])
def test_current_alcohol_use_is_substance_misuse(substance, outcome):
    use = history.SubstanceUse(substance, "CURRENT")
    assert _outcome("active_substance_misuse", "SPRAVATO", _facts(use)) == outcome
    former = history.SubstanceUse(substance, "FORMER")
    assert _outcome("active_substance_misuse", "SPRAVATO", _facts(former)) == OK


# ---- Code ranges -------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "inside", "outside"), [
    ("I69.10-I69.19", ["I69.10", "I69.11", "I69.198", "I69.19"], ["I69.2", "I69.09", "I69"]),
    ("Q28.0-Q28.3", ["Q28.0", "Q28.3", "Q28.2"], ["Q28.8", "Q27.3", "Q29"]),
    ("I20-I25", ["I20.0", "I25.10", "I24.9"], ["I26.99", "I19", "I2"]),
    ("F32.9-F32.A", ["F32.9", "F32.A"], ["F32.89", "F32.8"]),
    ("I67.1", ["I67.1"], ["I67.2", "I67.0"]),
    ("O", ["O09.90", "O99.89"], ["Z33.1"]),
])
def test_code_ranges_are_inclusive_by_prefix(spec, inside, outside):
    matches = code_matcher(spec)
    assert all(matches(c.replace(".", "")) for c in inside), inside
    assert not any(matches(c.replace(".", "")) for c in outside), outside


def test_rule_codes_may_be_written_without_the_dot():
    assert code_matcher("I6910-I6919")("I69198")
    assert code_matcher("i67.1")("I671")


# ---- Age -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("born", "today", "outcome"), [
    (dt.date(2008, 3, 1), dt.date(2026, 3, 1), OK),  # 18 today
    (dt.date(2008, 3, 2), dt.date(2026, 3, 1), BLOCK),  # 18 tomorrow
    (dt.date(2000, 2, 29), dt.date(2018, 2, 28), BLOCK),  # a leap-day birthday: not yet
    (dt.date(2000, 2, 29), dt.date(2018, 3, 1), OK),
    (dt.date(2004, 2, 29), dt.date(2022, 2, 28), BLOCK),
    (dt.date(2008, 2, 29), dt.date(2026, 3, 1), OK),
])
def test_under_18_blocks_every_modality_counting_birthdays_by_the_calendar(born, today,
                                                                           outcome):
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(hours=8)
    for modality in ("IV_KETAMINE", "SPRAVATO", "TMS"):
        assert _outcome("age_under_18", modality, _facts(born=born, now=now)) == outcome


def test_age_is_counted_on_the_clinics_day_not_utc():
    # 8 PM on 28 February in Los Angeles is already 1 March in UTC.
    evening = dt.datetime(2026, 3, 1, 4, 0, tzinfo=dt.UTC)
    facts = _facts(born=dt.date(2008, 3, 1), now=evening)
    assert _outcome("age_under_18", "SPRAVATO", facts) == BLOCK
    finding = next(f for f in RULES.evaluate("SPRAVATO", facts) if f.rule_id == "age_under_18")
    assert "age 17 on 2026-02-28" in finding.facts[0].description


def test_no_date_of_birth_is_reviewed_rather_than_passed():
    facts = _facts(born=None)
    assert _outcome("age_unknown", "TMS", facts) == REVIEW
    assert _outcome("age_under_18", "TMS", facts) == OK
    assert _outcome("age_unknown", "TMS", _facts()) == OK


# ---- TMS safety questionnaire --------------------------------------------------------------

def _tms_screening(yes=(), days_ago=1):
    answers = [(i, 1 if i in yes else 0) for i in range(1, TMS_SAFETY.item_count + 1)]
    at = NOW - dt.timedelta(days=days_ago)
    return Screening.score("p1", TMS_SAFETY, answers, at, "", "tech", NOW)[0]


def test_the_tms_questionnaire_scores_the_count_of_yes_answers():
    screening = _tms_screening(yes={2, 6})
    assert (screening.total_score, screening.severity) == (2, "positive answers to review")
    assert _tms_screening().severity == "no positive answers"


def test_no_tms_questionnaire_on_file_needs_review():
    assert _outcome("tms_safety_questionnaire_missing", "TMS", _facts()) == REVIEW
    filed = _facts(screenings=[_tms_screening()])
    assert _outcome("tms_safety_questionnaire_missing", "TMS", filed) == OK
    assert {f.outcome for f in RULES.evaluate("TMS", filed)} == {OK}


@pytest.mark.parametrize(("yes", "blocking", "review"), [
    ({1}, BLOCK, OK), ({2}, BLOCK, OK), ({3}, BLOCK, OK),
    ({4}, OK, REVIEW), ({6}, OK, REVIEW), ({9}, OK, REVIEW), ({10}, OK, REVIEW),
    ({2, 6}, BLOCK, REVIEW), (set(), OK, OK),
])
def test_tms_questionnaire_answers_block_or_go_to_review(yes, blocking, review):
    facts = _facts(screenings=[_tms_screening(yes)])
    assert _outcome("tms_safety_answers_block", "TMS", facts) == blocking
    assert _outcome("tms_safety_answers_review", "TMS", facts) == review


def test_only_the_latest_tms_questionnaire_counts():
    older, newer = _tms_screening({2}, days_ago=30), _tms_screening(set(), days_ago=2)
    facts = _facts(screenings=[newer, older])
    assert _outcome("tms_safety_answers_block", "TMS", facts) == OK
    facts = _facts(screenings=[_tms_screening(set(), days_ago=30), _tms_screening({1})])
    finding = next(f for f in RULES.evaluate("TMS", facts)
                   if f.rule_id == "tms_safety_answers_block")
    assert finding.outcome == BLOCK
    assert "item 1 (metal in the head or skull)" in finding.facts[0].description
    assert "/screenings/" in finding.facts[0].record


def test_tms_clearance_needs_the_safety_questionnaire_by_default():
    assert Policy().clearance_instruments["TMS"] == ("PHQ-9", "TMS-SAFETY")


# ---- Treatment resistance (Spravato) --------------------------------------------------------

def _trial(weeks=8, adequate_dose=True, outcome="NO_RESPONSE", name="sertraline"):
    return history.Medication(name, antidepressant=True, trial_outcome=outcome,
                              trial_weeks=weeks, adequate_dose=adequate_dose)


@pytest.mark.parametrize(("trials", "outcome"), [
    ([], REVIEW),
    ([_trial()], REVIEW),
    ([_trial(), _trial(name="bupropion")], OK),
    ([_trial(), _trial(weeks=4)], REVIEW),  # too short
    ([_trial(), _trial(adequate_dose=False)], REVIEW),  # dose not attested
    ([_trial(), _trial(outcome="NOT_TOLERATED")], REVIEW),  # intolerance is not a failure
    ([_trial(), _trial(outcome="PARTIAL_RESPONSE", weeks=6)], OK),
])
def test_spravato_needs_review_until_treatment_resistance_is_established(trials, outcome):
    facts = _facts(*trials)
    assert _outcome("treatment_resistance_not_established", "SPRAVATO", facts) == outcome


def test_the_treatment_resistance_rule_counts_by_the_clinics_policy():
    lenient = Policy(treatment_resistance_min_failed_trials=1, adequate_trial_min_weeks=4)
    facts = _facts(_trial(weeks=4), policy=lenient)
    assert _outcome("treatment_resistance_not_established", "SPRAVATO", facts) == OK
    assert "treatment_resistance_not_established" not in {
        f.rule_id for f in RULES.evaluate("IV_KETAMINE", _facts())}
