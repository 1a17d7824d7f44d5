"""Intake as a real process on PostgreSQL and the broker: a patient from registration to a
plan over gRPC, and the events that reach the intake topic, in order, for that patient."""

from __future__ import annotations

import datetime as dt

import pytest
from clinic.intake.v1 import (
    candidacy_service_pb2,
    candidacy_service_pb2_grpc,
    consent_pb2,
    consent_service_pb2,
    consent_service_pb2_grpc,
    events_pb2,
    history_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    intake_service_pb2,
    intake_service_pb2_grpc,
    screening_pb2,
    screening_service_pb2,
    screening_service_pb2_grpc,
    treatment_plan_pb2,
    treatment_plan_service_pb2,
    treatment_plan_service_pb2_grpc,
)
from clinic_devtools.testing.infra import read_topic
from clinic_devtools.testing.processes import ServiceProcess

from tests.intake.support import STAFF, patient, stamp

pytestmark = pytest.mark.e2e

EXPECTED = ["PatientRegistered", "ScreeningScored", "SafetyFlagRaised",
            "SafetyFlagAcknowledged", "ConsentRecorded", "CandidacyDecided",
            "TreatmentPlanCreated"]


@pytest.fixture
def intake(postgres_url, kafka_settings, tmp_path):
    env = {
        "INTAKE_DATABASE_URL": postgres_url, "INTAKE_SHUTDOWN_GRACE_SECONDS": "5",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
        "KAFKA_MAX_POLL_INTERVAL_MS": "5000", "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_RELAY_POLL_INTERVAL_MS": "100",
    }
    process = ServiceProcess("intake", env, tmp_path).start(timeout=60)
    channel = process.channel()
    yield channel
    channel.close()
    assert process.terminate() == 0, process.log_tail()


def _drive_to_a_plan(channel) -> tuple[str, treatment_plan_pb2.TreatmentPlan]:
    """Front desk, clinician and physician take one patient to an IV ketamine plan."""
    patients = intake_service_pb2_grpc.IntakeServiceStub(channel)
    ana = patients.CreatePatient(intake_service_pb2.CreatePatientRequest(
        patient=patient(), request_id="e2e-register")).patient
    now = stamp(dt.datetime.now(dt.UTC))
    history = history_service_pb2_grpc.HistoryServiceStub(channel)
    history.RecordVitals(history_service_pb2.RecordVitalsRequest(
        parent=ana.name, vitals=history_pb2.Vitals(
            measure_time=now, weight_grams=82300, systolic_mmhg=124, diastolic_mmhg=80,
            location_id="la-jolla")),
        metadata=STAFF)
    screenings = screening_service_pb2_grpc.ScreeningServiceStub(channel)
    scored = screenings.CreateScreening(screening_service_pb2.CreateScreeningRequest(
        parent=ana.name, screening=screening_pb2.Screening(
            instrument="PHQ-9", administer_time=now,
            answers=[screening_pb2.ItemAnswer(item=i, value=v) for i, v in
                     enumerate([3, 3, 2, 2, 2, 1, 1, 1, 1], 1)])), metadata=STAFF).screening
    screenings.AcknowledgeSafetyFlag(screening_service_pb2.AcknowledgeSafetyFlagRequest(
        name=scored.raised_flags[0], note="safety plan in place"), metadata=STAFF)
    consent_service_pb2_grpc.ConsentServiceStub(channel).CreateConsent(
        consent_service_pb2.CreateConsentRequest(parent=ana.name, consent=consent_pb2.Consent(
            type=consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT, form_version="2025-01",
            sign_time=now, signed_by="Ana Reyes")), metadata=STAFF)
    candidacy_service_pb2_grpc.CandidacyServiceStub(channel).DecideCandidacy(
        candidacy_service_pb2.DecideCandidacyRequest(
            parent=ana.name, modality=events_pb2.MODALITY_IV_KETAMINE,
            outcome=events_pb2.CANDIDACY_OUTCOME_CLEARED, reason="TRD, two failed SSRIs"),
        metadata=STAFF)
    plan = treatment_plan_service_pb2_grpc.TreatmentPlanServiceStub(channel).CreateTreatmentPlan(
        treatment_plan_service_pb2.CreateTreatmentPlanRequest(
            parent=ana.name, plan=treatment_plan_pb2.TreatmentPlan(
                modality=events_pb2.MODALITY_IV_KETAMINE, indication_code="F33.2")),
        metadata=STAFF).plan
    return ana.patient_id, plan


def _events_for(kafka_settings, key: str, expected: int, timeout: float = 30.0) -> list:
    """(type, payload) of the records with ``key`` on the intake topic, in topic order."""
    records = read_topic(kafka_settings.servers, kafka_settings.topic("clinic.intake.v1"),
                         expected, timeout, keep=lambda record: record.key == key.encode())
    return [(dict(r.headers)["ce_type"].decode().rsplit(".", 1)[-1], r.value) for r in records]


def test_a_patient_from_registration_to_a_plan_is_announced_in_order(intake, kafka_settings):
    patient_id, plan = _drive_to_a_plan(intake)
    assert plan.dose.dose_mcg == 41150
    events = _events_for(kafka_settings, patient_id, len(EXPECTED))
    assert [name for name, _ in events] == EXPECTED
    created = events_pb2.TreatmentPlanCreated.FromString(events[-1][1])
    assert (created.plan_id, created.dose_mcg, created.series_sessions) == \
        (plan.plan_id, 41150, 6)
    scored = events_pb2.ScreeningScored.FromString(events[1][1])
    assert (scored.instrument, scored.total_score, scored.severity) == \
        ("PHQ-9", 16, "moderately severe")
