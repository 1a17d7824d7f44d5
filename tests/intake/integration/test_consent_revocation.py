"""Consents are announced, and revoking one a plan needs suspends the plan, over gRPC on
SQLite and PostgreSQL: ConsentRecorded, ConsentRevoked and TreatmentPlanSuspended in the
revocation's transaction."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import consent_pb2 as c
from clinic.intake.v1 import consent_service_pb2 as pb
from clinic.intake.v1 import events_pb2 as ev
from clinic.intake.v1 import treatment_plan_pb2 as tp
from clinic.intake.v1 import treatment_plan_service_pb2 as plan_pb
from clinic_intake.domain.plans import TreatmentPlan
from google.protobuf import field_mask_pb2

from tests.intake.support import (
    DR_KIM,
    STAFF,
    decide,
    event_types,
    outbox,
    prepare_for,
    reason,
    refused,
    register,
    sign_consent,
)

KETAMINE = ev.MODALITY_IV_KETAMINE


@pytest.fixture
def ana(api):
    return register(api)


def _revoke(api, name, metadata=DR_KIM):
    return api.consents.RevokeConsent(pb.RevokeConsentRequest(
        name=name, reason="patient withdrew consent"), metadata=metadata).consent


def _plan(api, parent, modality=KETAMINE):
    return api.plans.CreateTreatmentPlan(plan_pb.CreateTreatmentPlanRequest(
        parent=parent, plan=tp.TreatmentPlan(modality=modality, indication_code="F33.2")),
        metadata=STAFF).plan


def _state(api, plan):
    return api.plans.GetTreatmentPlan(plan_pb.GetTreatmentPlanRequest(name=plan.name)).plan.state


def _on_plan(api, patient):
    [consent] = prepare_for(api, patient.name, KETAMINE)
    decide(api, patient.name, KETAMINE)
    return consent, _plan(api, patient.name)


def test_a_signed_consent_is_announced_without_names(api, ana):
    signed = sign_consent(api, ana.name, c.CONSENT_TYPE_KETAMINE_TREATMENT)
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key) == ("ConsentRecorded", ana.patient_id)
    assert (event.consent_id, event.consent_type, event.form_version) == \
        (signed.consent_id, c.CONSENT_TYPE_KETAMINE_TREATMENT, "2025-01")
    assert "Ana" not in str(event)


def test_revoking_the_treatment_consent_suspends_the_active_plan_and_announces_both(api, ana):
    consent, plan = _on_plan(api, ana)
    _revoke(api, consent.name)
    assert _state(api, plan) == tp.TREATMENT_PLAN_STATE_SUSPENDED
    (revoked_name, _, revoked), (suspended_name, key, suspended) = outbox(api.runtime)[-2:]
    assert (revoked_name, revoked.consent_id, revoked.consent_type, revoked.revoked_by) == \
        ("ConsentRevoked", consent.consent_id, c.CONSENT_TYPE_KETAMINE_TREATMENT, "dr-kim")
    assert (suspended_name, key) == ("TreatmentPlanSuspended", ana.patient_id)
    assert (suspended.plan_id, suspended.modality, suspended.reason, suspended.consent_id) == \
        (plan.plan_id, KETAMINE, "consent_revoked", consent.consent_id)


def test_a_suspended_plan_is_not_amended_and_a_new_consent_does_not_resume_it(api, ana):
    consent, plan = _on_plan(api, ana)
    _revoke(api, consent.name)
    error = refused(api.plans.AmendTreatmentPlan, plan_pb.AmendTreatmentPlanRequest(
        plan=tp.TreatmentPlan(name=plan.name, indication_code="F32.2"), reason="x",
        update_mask=field_mask_pb2.FieldMask(paths=["indication_code"])), metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "PLAN_SUSPENDED")
    assert reason(refused(_plan, api, ana.name)) == "CONSENT_REQUIRED"
    sign_consent(api, ana.name, c.CONSENT_TYPE_KETAMINE_TREATMENT, form_version="2026-02")
    assert _state(api, plan) == tp.TREATMENT_PLAN_STATE_SUSPENDED
    fresh = _plan(api, ana.name)  # the provider writes a new plan
    assert (_state(api, fresh), fresh.plan_id != plan.plan_id) == \
        (tp.TREATMENT_PLAN_STATE_ACTIVE, True)


def test_a_suspended_plan_can_be_ended_and_the_end_is_announced(api, ana):
    consent, plan = _on_plan(api, ana)
    _revoke(api, consent.name)
    ended = api.plans.EndTreatmentPlan(plan_pb.EndTreatmentPlanRequest(
        name=plan.name, reason=tp.TREATMENT_PLAN_END_REASON_DISCONTINUED), metadata=STAFF).plan
    assert (ended.state, ended.end_reason) == (tp.TREATMENT_PLAN_STATE_ENDED,
                                               tp.TREATMENT_PLAN_END_REASON_DISCONTINUED)
    assert event_types(api.runtime)[-1] == "TreatmentPlanEnded"
    again = refused(api.plans.EndTreatmentPlan, plan_pb.EndTreatmentPlanRequest(
        name=plan.name, reason=tp.TREATMENT_PLAN_END_REASON_COMPLETED), metadata=STAFF)
    assert reason(again) == "PLAN_ENDED"


def test_a_plan_still_covered_by_another_standing_consent_is_not_suspended(api, ana):
    consent, plan = _on_plan(api, ana)
    sign_consent(api, ana.name, c.CONSENT_TYPE_KETAMINE_TREATMENT, form_version="2026-02")
    _revoke(api, consent.name)
    assert _state(api, plan) == tp.TREATMENT_PLAN_STATE_ACTIVE
    assert event_types(api.runtime)[-1] == "ConsentRevoked"


def test_revoking_a_consent_no_plan_needs_suspends_nothing(api, ana):
    _, plan = _on_plan(api, ana)
    privacy = sign_consent(api, ana.name, c.CONSENT_TYPE_PRIVACY_NOTICE)
    _revoke(api, privacy.name)
    assert _state(api, plan) == tp.TREATMENT_PLAN_STATE_ACTIVE
    assert "TreatmentPlanSuspended" not in event_types(api.runtime)


def test_revoking_the_rems_enrollment_suspends_the_spravato_plan(api, ana):
    consents = prepare_for(api, ana.name, ev.MODALITY_SPRAVATO)
    decision = decide(api, ana.name, ev.MODALITY_SPRAVATO)
    # Stored directly: what a Spravato plan's dose needs is not what this test is about.
    with api.runtime.uow() as uow:
        uow.plans.add(TreatmentPlan("plan-s", ana.patient_id, "SPRAVATO", decision.decision_id,
                                    created_at=dt.datetime.now(dt.UTC)))
        uow.commit()
    rems = next(x for x in consents if x.type == c.CONSENT_TYPE_SPRAVATO_REMS_ENROLLMENT)
    _revoke(api, rems.name)
    with api.runtime.uow() as uow:
        assert uow.plans.get("plan-s").state == "SUSPENDED"
    assert event_types(api.runtime)[-2:] == ["ConsentRevoked", "TreatmentPlanSuspended"]


def test_a_refused_revocation_announces_nothing(api, ana):
    consent, plan = _on_plan(api, ana)
    _revoke(api, consent.name)
    before = event_types(api.runtime)
    assert reason(refused(_revoke, api, consent.name)) == "CONSENT_ALREADY_REVOKED"
    assert event_types(api.runtime) == before
