"""DecideCandidacy over gRPC on SQLite and PostgreSQL: what a clearance requires, refusals."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import candidacy_pb2 as c
from clinic.intake.v1 import candidacy_service_pb2 as pb
from clinic.intake.v1 import consent_pb2
from clinic.intake.v1 import consent_service_pb2 as consent_pb
from clinic.intake.v1 import events_pb2 as ev
from clinic.intake.v1 import history_pb2 as h
from clinic.intake.v1 import screening_service_pb2 as screening_pb

from tests.intake.support import (
    NO_TOKEN,
    STAFF,
    add_history,
    decide,
    event_types,
    outbox,
    prepare_for,
    reason,
    record_vitals,
    refused,
    register,
    screen,
    sign_consent,
)

KETAMINE, SPRAVATO = ev.MODALITY_IV_KETAMINE, ev.MODALITY_SPRAVATO
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def ana(api):
    return register(api)


def _refusal(api, parent, modality=KETAMINE, **kwargs):
    before = event_types(api.runtime)
    error = refused(decide, api, parent, modality, **kwargs)
    assert event_types(api.runtime) == before, "a refused decision announced something"
    assert api.candidacy.ListCandidacyDecisions(pb.ListCandidacyDecisionsRequest(
        parent=parent)).decisions == []
    return error.code(), reason(error)


def test_clearance_records_what_it_relied_on_and_is_announced(api, ana):
    [consent] = prepare_for(api, ana.name, KETAMINE)
    decision = decide(api, ana.name, KETAMINE)
    assert (decision.outcome, decision.decided_by, decision.reason) == \
        (ev.CANDIDACY_OUTCOME_CLEARED, "dr-lee", "meets criteria")
    assert list(decision.consents) == [consent.name]
    assert len(decision.screenings) == 1 and decision.findings
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key) == ("CandidacyDecided", ana.patient_id)
    assert (event.decision_id, event.modality, event.outcome, event.decided_by) == \
        (decision.decision_id, KETAMINE, ev.CANDIDACY_OUTCOME_CLEARED, "dr-lee")
    got = api.candidacy.GetCandidacyDecision(pb.GetCandidacyDecisionRequest(
        name=decision.name)).decision
    assert got == decision


def test_clearance_without_a_screening_is_refused(api, ana):
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT)
    assert _refusal(api, ana.name) == (grpc.StatusCode.FAILED_PRECONDITION,
                                       "SCREENING_REQUIRED")


def test_a_screening_older_than_the_policy_window_does_not_count(api, ana):
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT)
    screen(api, ana.name, when=NOW - dt.timedelta(days=120))
    assert _refusal(api, ana.name)[1] == "SCREENING_REQUIRED"


def test_an_unacknowledged_safety_flag_blocks_clearance_until_acknowledged(api, ana):
    prepare_for(api, ana.name, KETAMINE)
    flagged = screen(api, ana.name, values=[1] * 8 + [1])
    assert _refusal(api, ana.name) == (grpc.StatusCode.FAILED_PRECONDITION,
                                       "UNACKNOWLEDGED_SAFETY_FLAG")
    api.screenings.AcknowledgeSafetyFlag(screening_pb.AcknowledgeSafetyFlagRequest(
        name=flagged.raised_flags[0]), metadata=STAFF)
    assert decide(api, ana.name, KETAMINE).outcome == ev.CANDIDACY_OUTCOME_CLEARED


def test_a_blocking_finding_needs_an_override_with_a_reason(api, ana):
    prepare_for(api, ana.name, KETAMINE)
    add_history(api, ana.name, condition=h.Condition(code="F31.2"))
    assert _refusal(api, ana.name) == (grpc.StatusCode.FAILED_PRECONDITION, "BLOCKING_FINDING")
    code, why = _refusal(api, ana.name, overrides=[("psychosis_or_mania", " ")])
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    decision = decide(api, ana.name, KETAMINE, overrides=[
        ("psychosis_or_mania", "bipolar II, stable on lithium 3 years; psychiatrist agrees")])
    assert [o.rule_id for o in decision.overrides] == ["psychosis_or_mania"]
    blocked = [f for f in decision.findings if f.outcome == c.FINDING_OUTCOME_BLOCK]
    assert [f.rule_id for f in blocked] == ["psychosis_or_mania"]


def test_overrides_must_name_a_rule_that_found_something(api, ana):
    prepare_for(api, ana.name, KETAMINE)
    assert _refusal(api, ana.name, overrides=[("no_such_rule", "x")]) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_RULE")
    assert _refusal(api, ana.name, overrides=[("pregnancy", "x")]) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "NOTHING_TO_OVERRIDE")


def test_clearance_needs_the_modalitys_signed_consent(api, ana):
    [consent] = prepare_for(api, ana.name, KETAMINE)
    api.consents.RevokeConsent(consent_pb.RevokeConsentRequest(
        name=consent.name, reason="withdrew"), metadata=STAFF)
    assert _refusal(api, ana.name) == (grpc.StatusCode.FAILED_PRECONDITION, "CONSENT_REQUIRED")


def test_spravato_clearance_needs_the_rems_enrollment(api, ana):
    screen(api, ana.name)
    record_vitals(api, ana.name, systolic_mmhg=120, diastolic_mmhg=80)
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_SPRAVATO_TREATMENT)
    assert _refusal(api, ana.name, SPRAVATO) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                 "REMS_ENROLLMENT_REQUIRED")
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_SPRAVATO_REMS_ENROLLMENT)
    assert decide(api, ana.name, SPRAVATO).outcome == ev.CANDIDACY_OUTCOME_CLEARED


def test_not_a_candidate_needs_only_a_reason(api, ana):
    decision = decide(api, ana.name, KETAMINE, ev.CANDIDACY_OUTCOME_NOT_A_CANDIDATE,
                      "active psychosis")
    assert decision.outcome == ev.CANDIDACY_OUTCOME_NOT_A_CANDIDATE
    assert list(decision.screenings) == [] and list(decision.consents) == []
    more = decide(api, ana.name, KETAMINE, ev.CANDIDACY_OUTCOME_NEEDS_MORE_INFORMATION,
                  "cardiology letter")
    assert more.outcome == ev.CANDIDACY_OUTCOME_NEEDS_MORE_INFORMATION


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"reason": ""}, "INVALID_FIELD"),
    ({"outcome": ev.CANDIDACY_OUTCOME_NOT_A_CANDIDATE, "overrides": [("pregnancy", "x")]},
     "INVALID_FIELD"),
])
def test_malformed_decisions_are_invalid(api, ana, kwargs, expected):
    assert _refusal(api, ana.name, **kwargs) == (grpc.StatusCode.INVALID_ARGUMENT, expected)


def test_modality_is_required(api, ana):
    assert _refusal(api, ana.name, ev.MODALITY_UNSPECIFIED)[0] == \
        grpc.StatusCode.INVALID_ARGUMENT


def test_deciding_needs_a_staff_id(api, ana):
    prepare_for(api, ana.name, KETAMINE)
    assert _refusal(api, ana.name, metadata=NO_TOKEN) == (grpc.StatusCode.UNAUTHENTICATED,
                                                    "UNAUTHENTICATED")


def test_decisions_list_by_modality_oldest_first(api, ana):
    prepare_for(api, ana.name, KETAMINE)
    first = decide(api, ana.name, KETAMINE, ev.CANDIDACY_OUTCOME_NEEDS_MORE_INFORMATION, "labs")
    second = decide(api, ana.name, KETAMINE)
    decide(api, ana.name, ev.MODALITY_TMS, ev.CANDIDACY_OUTCOME_NOT_A_CANDIDATE, "implant")
    listed = api.candidacy.ListCandidacyDecisions(pb.ListCandidacyDecisionsRequest(
        parent=ana.name, modality=KETAMINE)).decisions
    assert [d.name for d in listed] == [first.name, second.name]


@pytest.mark.parametrize(("modality", "fasting"), [
    (KETAMINE, "No solid food for 6 hours before the infusion; clear liquids until 2 hours "
               "before."),
    (SPRAVATO, "No food for 2 hours and no liquids for 30 minutes before the dose."),
])
def test_a_clearance_carries_the_escort_requirement_and_fasting_instruction(
        api, ana, modality, fasting):
    prepare_for(api, ana.name, modality)
    decision = decide(api, ana.name, modality)
    assert (decision.escort_required, decision.fasting_instruction) == (True, fasting)
    name, _, event = outbox(api.runtime)[-1]
    assert (name, event.escort_required, event.fasting_instruction) == \
        ("CandidacyDecided", True, fasting)
    assert api.candidacy.GetCandidacyDecision(pb.GetCandidacyDecisionRequest(
        name=decision.name)).decision.escort_required


def test_escort_and_fasting_come_from_the_clinic_settings(start_intake):
    api = start_intake(pre_treatment={"IV_KETAMINE": {"escort_required": True,
                                                      "fasting_instruction": "NPO 8 hours."}})
    patient = register(api)
    prepare_for(api, patient.name, KETAMINE)
    assert decide(api, patient.name, KETAMINE).fasting_instruction == "NPO 8 hours."


def test_a_decision_other_than_a_clearance_carries_no_instructions(api, ana):
    decision = decide(api, ana.name, KETAMINE, outcome=ev.CANDIDACY_OUTCOME_NOT_A_CANDIDATE)
    assert (decision.escort_required, decision.fasting_instruction) == (False, "")
    event = outbox(api.runtime)[-1][2]
    assert (event.escort_required, event.fasting_instruction) == (False, "")
