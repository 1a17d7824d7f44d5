"""Intake's clinical rules across the stack, as processes on PostgreSQL and the broker: a
patient with a history of intracerebral haemorrhage is refused a Spravato clearance, so
scheduling never books a Spravato session for them."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import (
    candidacy_pb2,
    candidacy_service_pb2,
    consent_pb2,
    consent_service_pb2,
    events_pb2,
    history_pb2,
    history_service_pb2,
)
from clinic_common.protoconv import timestamp

from tests.e2e.conftest import eventually, next_open_time
from tests.e2e.test_patient_journey import (
    NURSE,
    PROVIDER,
    Intake,
    reason,
    refusal,
    screen_and_acknowledge_flag,
)

pytestmark = pytest.mark.e2e

# Attention and concentration deficit following nontraumatic intracerebral haemorrhage.
ICH_SEQUELA = "I69.110"


def test_a_history_of_intracerebral_haemorrhage_refuses_a_spravato_clearance(stack):
    stack.apply_locations()
    intake = Intake(stack)
    patient = stack.register_patient(preferred_location_id="la-jolla")
    now = timestamp(dt.datetime.now(dt.UTC))
    intake.history.RecordVitals(history_service_pb2.RecordVitalsRequest(
        parent=patient.name, vitals=history_pb2.Vitals(
            measure_time=now, weight_grams=70_000, systolic_mmhg=118, diastolic_mmhg=76,
            location_id="la-jolla")), metadata=NURSE)
    screen_and_acknowledge_flag(intake, patient.name, now)
    for kind, extra in ((consent_pb2.CONSENT_TYPE_SPRAVATO_TREATMENT, {}),
                        (consent_pb2.CONSENT_TYPE_SPRAVATO_REMS_ENROLLMENT,
                         {"rems_patient_id": "REMS-4471"})):
        intake.consents.CreateConsent(consent_service_pb2.CreateConsentRequest(
            parent=patient.name, consent=consent_pb2.Consent(
                type=kind, form_version="2025-01", sign_time=now, signed_by="patient",
                **extra)), metadata=NURSE)
    # The category above a billable code is refused, naming the codes beneath it; the
    # billable code is taken and described.
    def condition(code: str):
        return intake.history.CreateHistoryEntry(history_service_pb2.CreateHistoryEntryRequest(
            parent=patient.name, entry=history_pb2.HistoryEntry(
                condition=history_pb2.Condition(code=code))), metadata=PROVIDER).entry

    with pytest.raises(grpc.RpcError) as category:
        condition(ICH_SEQUELA[:-1])
    assert category.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ICH_SEQUELA in category.value.details()
    entry = condition(ICH_SEQUELA)
    assert entry.condition.code == ICH_SEQUELA
    assert "intracerebral hemorrhage" in entry.condition.code_description.lower()

    findings = {f.rule_id: f for f in intake.candidacy.EvaluateContraindications(
        candidacy_service_pb2.EvaluateContraindicationsRequest(
            parent=patient.name, modality=events_pb2.MODALITY_SPRAVATO),
        metadata=PROVIDER).findings}
    haemorrhage = findings["intracranial_haemorrhage"]
    assert haemorrhage.outcome == candidacy_pb2.FINDING_OUTCOME_BLOCK
    assert entry.name in [fact.record for fact in haemorrhage.facts]

    with pytest.raises(grpc.RpcError) as refused:
        intake.candidacy.DecideCandidacy(candidacy_service_pb2.DecideCandidacyRequest(
            parent=patient.name, modality=events_pb2.MODALITY_SPRAVATO,
            outcome=events_pb2.CANDIDACY_OUTCOME_CLEARED, reason="treatment-resistant depression"),
            metadata=PROVIDER)
    assert (refused.value.code(), reason(refused.value)) == (
        grpc.StatusCode.FAILED_PRECONDITION, "BLOCKING_FINDING")
    assert "intracranial_haemorrhage" in refused.value.details()

    # Nothing was cleared, so scheduling (which knows the patient) refuses the session.
    session_at = next_open_time(10, closed=stack.closures("la-jolla"))
    eventually(lambda: refusal(stack, patient.patient_id, "SPRAVATO_SESSION", session_at)
               == "PATIENT_NOT_CLEARED")
