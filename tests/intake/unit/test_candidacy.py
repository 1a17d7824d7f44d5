"""What a clearance requires, checked in the domain with evidence built by hand."""

import datetime as dt

import pytest
from clinic_common.errors import FailedPrecondition, FieldViolation
from clinic_intake.adapters.definitions import load_instruments
from clinic_intake.domain.candidacy import Evidence, Override, decide
from clinic_intake.domain.consent import Consent
from clinic_intake.domain.contraindications import Fact, Finding, Outcome
from clinic_intake.domain.policy import Policy, PreTreatment
from clinic_intake.domain.screening import Screening

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PHQ9 = load_instruments().get("PHQ-9")
POLICY = Policy()


def _screening(days_ago=1, item9=0):
    return Screening.score("p1", PHQ9, [(i, 1) for i in range(1, 9)] + [(9, item9)],
                           NOW - dt.timedelta(days=days_ago), "", "dr", NOW)


def _consent(kind="KETAMINE_TREATMENT", **fields):
    details = {"consent_type": kind, "form_version": "1", "signed_at": NOW,
               "signed_by": "Ana", **fields}
    return Consent.sign("p1", details, [], "dr", NOW)


def _evidence(**changes) -> Evidence:
    screening, flags = _screening()
    values = {"findings": [Finding("pregnancy", "Pregnancy", Outcome.OK)],
              "rule_ids": {"pregnancy", "psychosis_or_mania"}, "screenings": [screening],
              "open_flags": flags, "consents": [_consent()]}
    values.update(changes)
    return Evidence(**values)


def _decide(evidence=None, outcome="CLEARED", modality="IV_KETAMINE", overrides=(),
            reason="meets criteria", policy=POLICY):
    return decide("p1", modality, outcome, reason, list(overrides), evidence or _evidence(),
                  staff_id="dr-lee", policy=policy, now=NOW)


def _refused(**kwargs) -> str:
    with pytest.raises(FailedPrecondition) as refused:
        _decide(**kwargs)
    return refused.value.reason


def test_clearance_with_everything_in_place_names_its_screening_and_consent():
    evidence = _evidence()
    decision = _decide(evidence)
    assert decision.clears
    assert decision.screening_ids == [evidence.screenings[0].screening_id]
    assert decision.consent_ids == [evidence.consents[0].consent_id]
    assert decision.findings == [{"rule_id": "pregnancy", "title": "Pregnancy",
                                  "outcome": "OK", "facts": []}]


def test_the_latest_recent_screening_is_the_one_relied_on():
    old, new = _screening(days_ago=30)[0], _screening(days_ago=2)[0]
    decision = _decide(_evidence(screenings=[new, old]))
    assert decision.screening_ids == [new.screening_id]


def test_clearance_refusals_in_the_order_a_reviewer_meets_them():
    assert _refused(evidence=_evidence(screenings=[])) == "SCREENING_REQUIRED"
    assert _refused(evidence=_evidence(screenings=[_screening(days_ago=91)[0]])) == \
        "SCREENING_REQUIRED"
    flagged, flags = _screening(item9=1)
    assert _refused(evidence=_evidence(screenings=[flagged], open_flags=flags)) == \
        "UNACKNOWLEDGED_SAFETY_FLAG"
    blocking = [Finding("psychosis_or_mania", "Psychosis", Outcome.BLOCK, (Fact("F20.9"),))]
    assert _refused(evidence=_evidence(findings=blocking)) == "BLOCKING_FINDING"
    assert _refused(evidence=_evidence(consents=[])) == "CONSENT_REQUIRED"


def test_an_override_with_a_reason_lifts_a_blocking_finding():
    blocking = [Finding("psychosis_or_mania", "Psychosis", Outcome.BLOCK, (Fact("F31.81"),))]
    decision = _decide(_evidence(findings=blocking),
                       overrides=[Override("psychosis_or_mania", "remote single episode")])
    assert decision.overrides == [{"rule_id": "psychosis_or_mania",
                                   "reason": "remote single episode"}]


def test_overriding_a_rule_that_found_nothing_is_refused():
    assert _refused(overrides=[Override("pregnancy", "x")]) == "NOTHING_TO_OVERRIDE"


@pytest.mark.parametrize("overrides", [
    [Override("unknown", "x")],
    [Override("pregnancy", "")],
    [Override("pregnancy", "x"), Override("pregnancy", "y")],
])
def test_malformed_overrides_are_invalid(overrides):
    with pytest.raises(FieldViolation):
        _decide(overrides=overrides)


def test_spravato_without_rems_enrollment_is_refused_by_name():
    evidence = _evidence(consents=[_consent("SPRAVATO_TREATMENT")])
    assert _refused(evidence=evidence, modality="SPRAVATO") == "REMS_ENROLLMENT_REQUIRED"
    evidence.consents.append(_consent("SPRAVATO_REMS_ENROLLMENT", rems_patient_id="R1"))
    assert _decide(evidence, modality="SPRAVATO").clears


def test_required_instruments_and_consents_are_policy():
    policy = Policy(clearance_instruments={"TMS": ("GAD-7",)},
                    required_consents={"TMS": ()})
    assert _refused(evidence=_evidence(consents=[]), modality="TMS", policy=policy) == \
        "SCREENING_REQUIRED"
    relaxed = Policy(clearance_instruments={}, required_consents={})
    assert _decide(_evidence(consents=[], screenings=[]), modality="TMS", policy=relaxed).clears


def test_other_outcomes_need_a_reason_but_nothing_else():
    empty = _evidence(screenings=[], consents=[], findings=[
        Finding("psychosis_or_mania", "Psychosis", Outcome.BLOCK)])
    assert _decide(empty, outcome="NOT_A_CANDIDATE").outcome == "NOT_A_CANDIDATE"
    with pytest.raises(FieldViolation):
        _decide(empty, outcome="NOT_A_CANDIDATE", reason=" ")
    with pytest.raises(FieldViolation):
        _decide(empty, outcome="MAYBE")


def test_a_ketamine_or_spravato_clearance_requires_an_escort_and_carries_fasting():
    ketamine = _decide()
    assert ketamine.escort_required
    assert "6 hours" in ketamine.fasting_instruction
    spravato = _decide(_evidence(consents=[
        _consent("SPRAVATO_TREATMENT"), _consent("SPRAVATO_REMS_ENROLLMENT",
                                                 rems_patient_id="R1")]), modality="SPRAVATO")
    assert spravato.escort_required
    assert "30 minutes" in spravato.fasting_instruction


def test_a_tms_clearance_needs_no_escort_and_other_outcomes_carry_nothing():
    tms = _decide(_evidence(consents=[_consent("TMS_TREATMENT")]), modality="TMS",
                  policy=Policy(clearance_instruments={}))
    assert (tms.escort_required, tms.fasting_instruction) == (False, "")
    refused = _decide(_evidence(screenings=[], consents=[]), outcome="NOT_A_CANDIDATE")
    assert (refused.escort_required, refused.fasting_instruction) == (False, "")


def test_escort_and_fasting_are_policy():
    policy = Policy(pre_treatment={"IV_KETAMINE": PreTreatment(True, "Nothing by mouth.")})
    assert (_decide(policy=policy).escort_required,
            _decide(policy=policy).fasting_instruction) == (True, "Nothing by mouth.")
