"""The clinical rules over gRPC on SQLite and PostgreSQL: label contraindications by code
range, age from the date of birth, the TMS safety questionnaire, treatment resistance, and
code descriptions on plans."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import candidacy_pb2 as c
from clinic.intake.v1 import candidacy_service_pb2 as pb
from clinic.intake.v1 import consent_pb2
from clinic.intake.v1 import events_pb2 as ev
from clinic.intake.v1 import history_pb2 as h
from clinic.intake.v1 import treatment_plan_pb2 as tp
from clinic.intake.v1 import treatment_plan_service_pb2 as plan_pb

from tests.intake.support import (
    STAFF,
    add_history,
    decide,
    prepare_for,
    reason,
    record_vitals,
    refused,
    register,
    screen,
    sign_consent,
)

KETAMINE, SPRAVATO, TMS = ev.MODALITY_IV_KETAMINE, ev.MODALITY_SPRAVATO, ev.MODALITY_TMS


@pytest.fixture
def ana(api):
    return register(api)


def _findings(api, parent, modality) -> dict:
    result = api.candidacy.EvaluateContraindications(pb.EvaluateContraindicationsRequest(
        parent=parent, modality=modality))
    return {f.rule_id: f for f in result.findings}


def _refusal(api, parent, modality):
    error = refused(decide, api, parent, modality)
    return error.code(), reason(error)


@pytest.mark.parametrize(("code", "rule"), [
    ("I69.10", "intracranial_haemorrhage"), ("I72.0", "aneurysmal_vascular_disease"),
    ("Q28.2", "arteriovenous_malformation"), ("Q27.30", "arteriovenous_malformation"),
    ("F33.3", "psychosis_or_mania"), ("F06.2", "psychosis_or_mania"),
    ("Z3A.00", "pregnancy"), ("Z34.00", "pregnancy"),
])
def test_spravato_is_not_cleared_with_a_label_contraindication(api, ana, code, rule):
    prepare_for(api, ana.name, SPRAVATO)
    add_history(api, ana.name, condition=h.Condition(code=code))
    assert _findings(api, ana.name, SPRAVATO)[rule].outcome == c.FINDING_OUTCOME_BLOCK
    assert _refusal(api, ana.name, SPRAVATO) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                 "BLOCKING_FINDING")


def test_a_patient_under_18_is_blocked_for_every_modality(api):
    today = dt.datetime.now(dt.UTC).date()
    minor = register(api, date_of_birth=today.replace(year=today.year - 17) - dt.timedelta(
        days=3))
    for modality in (KETAMINE, SPRAVATO, TMS):
        finding = _findings(api, minor.name, modality)["age_under_18"]
        assert finding.outcome == c.FINDING_OUTCOME_BLOCK
        assert finding.facts[0].record == minor.name


def test_tms_clearance_needs_the_safety_questionnaire(api, ana):
    prepare_for(api, ana.name, TMS)
    assert _findings(api, ana.name, TMS)["tms_safety_questionnaire_missing"].outcome == \
        c.FINDING_OUTCOME_OK
    assert decide(api, ana.name, TMS).outcome == ev.CANDIDACY_OUTCOME_CLEARED


def test_tms_clearance_without_the_safety_questionnaire_is_refused(api, ana):
    screen(api, ana.name, "PHQ-9")
    record_vitals(api, ana.name, systolic_mmhg=122, diastolic_mmhg=78)
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_TMS_TREATMENT)
    missing = _findings(api, ana.name, TMS)["tms_safety_questionnaire_missing"]
    assert missing.outcome == c.FINDING_OUTCOME_NEEDS_REVIEW
    assert missing.facts[0].description == "no TMS-SAFETY questionnaire on file"
    error = refused(decide, api, ana.name, TMS)
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "SCREENING_REQUIRED")
    assert "TMS-SAFETY" in error.details()


def test_a_yes_to_a_cochlear_implant_blocks_tms(api, ana):
    prepare_for(api, ana.name, TMS)
    answers = [0] * 10
    answers[1] = 1
    screening = screen(api, ana.name, "TMS-SAFETY", answers)
    assert screening.total_score == 1
    finding = _findings(api, ana.name, TMS)["tms_safety_answers_block"]
    assert finding.outcome == c.FINDING_OUTCOME_BLOCK
    assert finding.facts[0].record == screening.name
    assert _refusal(api, ana.name, TMS)[1] == "BLOCKING_FINDING"


def test_an_implant_code_in_the_history_blocks_tms(api, ana):
    add_history(api, ana.name, condition=h.Condition(code="Z96.21"))
    add_history(api, ana.name, condition=h.Condition(code="Z95.0"))
    findings = _findings(api, ana.name, TMS)
    assert findings["tms_head_implant"].outcome == c.FINDING_OUTCOME_BLOCK
    assert findings["tms_cardiac_device"].outcome == c.FINDING_OUTCOME_NEEDS_REVIEW


def _trial(weeks):
    return h.Medication(medication_name="sertraline", antidepressant=True, dose="150 mg",
                        trial_outcome=h.TRIAL_OUTCOME_NO_RESPONSE, trial_weeks=weeks,
                        adequate_dose=True)


def test_spravato_reviews_treatment_resistance_until_two_adequate_trials(api, ana):
    rule = "treatment_resistance_not_established"
    assert _findings(api, ana.name, SPRAVATO)[rule].outcome == c.FINDING_OUTCOME_NEEDS_REVIEW
    add_history(api, ana.name, medication=_trial(8))
    add_history(api, ana.name, medication=_trial(3))
    assert _findings(api, ana.name, SPRAVATO)[rule].outcome == c.FINDING_OUTCOME_NEEDS_REVIEW
    add_history(api, ana.name, medication=_trial(6))
    assert _findings(api, ana.name, SPRAVATO)[rule].outcome == c.FINDING_OUTCOME_OK
    assert rule not in _findings(api, ana.name, KETAMINE)


def test_a_plan_shows_its_indication_description_and_refuses_a_category(api, ana):
    prepare_for(api, ana.name, TMS)
    decide(api, ana.name, TMS)

    def create(code):
        return api.plans.CreateTreatmentPlan(plan_pb.CreateTreatmentPlanRequest(
            parent=ana.name, plan=tp.TreatmentPlan(modality=TMS, indication_code=code)),
            metadata=STAFF).plan

    error = refused(create, "F33")
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert "F33 is not billable" in error.details()
    plan = create("F332")
    assert (plan.indication_code, plan.indication_description) == (
        "F33.2", "Major depressive disorder, recurrent severe without psychotic features")
