"""Dosing protocols across the stack, as processes on PostgreSQL and the broker: a 90 kg
patient with CRPS gets a 4-hour IV ketamine infusion plan at the pain protocol's rate, and
scheduling books the infusion once the plan has reached it."""

from __future__ import annotations

import datetime as dt

import pytest
from clinic.intake.v1 import (
    consent_pb2,
    consent_service_pb2,
    events_pb2,
    history_pb2,
    history_service_pb2,
    treatment_plan_pb2,
    treatment_plan_service_pb2,
)
from clinic.scheduling.v1 import appointment_pb2
from clinic_common.protoconv import timestamp

from tests.e2e.conftest import eventually, next_open_time
from tests.e2e.test_patient_journey import (
    NURSE,
    PROVIDER,
    Intake,
    book,
    clear_for_ketamine,
    screen_and_acknowledge_flag,
)

pytestmark = pytest.mark.e2e

WEIGHT_GRAMS = 90_000
CRPS_RIGHT_UPPER_LIMB = "G90.511"  # complex regional pain syndrome I of right upper limb


def prepare_crps_patient(intake: Intake, parent: str) -> None:
    now = timestamp(dt.datetime.now(dt.UTC))
    intake.history.RecordVitals(history_service_pb2.RecordVitalsRequest(
        parent=parent, vitals=history_pb2.Vitals(
            measure_time=now, weight_grams=WEIGHT_GRAMS, systolic_mmhg=122, diastolic_mmhg=78,
            location_id="la-jolla")), metadata=NURSE)
    screen_and_acknowledge_flag(intake, parent, now)
    intake.consents.CreateConsent(consent_service_pb2.CreateConsentRequest(
        parent=parent, consent=consent_pb2.Consent(
            type=consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT, form_version="2025-01",
            sign_time=now, signed_by="patient")), metadata=NURSE)


def test_a_90_kg_crps_patient_gets_a_4_hour_infusion_at_the_protocol_rate(stack):
    stack.apply_locations()
    intake = Intake(stack)
    patient = stack.register_patient(preferred_location_id="la-jolla")
    prepare_crps_patient(intake, patient.name)
    clear_for_ketamine(intake, patient.name)

    plan = intake.plans.CreateTreatmentPlan(treatment_plan_service_pb2.CreateTreatmentPlanRequest(
        parent=patient.name, plan=treatment_plan_pb2.TreatmentPlan(
            modality=events_pb2.MODALITY_IV_KETAMINE, indication_code=CRPS_RIGHT_UPPER_LIMB,
            dose=treatment_plan_pb2.Dose(duration_minutes=240))),
        metadata=PROVIDER).plan

    # 0.5 mg/kg/h for 4 hours of 90 kg is 180 mg, within the protocol's 400 mg session cap.
    assert (plan.protocol, plan.dose.mg_per_kg_per_hour, plan.dose.duration_minutes,
            plan.dose.weight_grams, plan.dose.mg_per_kg, plan.dose.dose_mcg) == \
        ("ketamine_pain_crps", "0.5", 240, WEIGHT_GRAMS, "2", 180_000)
    read = intake.plans.GetTreatmentPlan(treatment_plan_service_pb2.GetTreatmentPlanRequest(
        name=plan.name), metadata=PROVIDER).plan
    assert read == plan

    infusion_at = next_open_time(9, closed=stack.closures("la-jolla"))
    booked = eventually(lambda: book(stack, patient.patient_id, "IV_KETAMINE_INFUSION",
                                     infusion_at))
    assert booked.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED
