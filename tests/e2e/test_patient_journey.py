"""One patient's journey across the three services, as processes on PostgreSQL and the broker:
intake takes them from registration to an IV ketamine plan, scheduling books the infusion only
once intake's clearance and plan have reached it, and billing charges the completed infusion
at the plan's dose."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import (
    candidacy_pb2,
    candidacy_service_pb2,
    candidacy_service_pb2_grpc,
    consent_pb2,
    consent_service_pb2,
    consent_service_pb2_grpc,
    coverage_pb2,
    coverage_service_pb2,
    coverage_service_pb2_grpc,
    events_pb2,
    history_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    screening_pb2,
    screening_service_pb2,
    screening_service_pb2_grpc,
    treatment_plan_pb2,
    treatment_plan_service_pb2,
    treatment_plan_service_pb2_grpc,
)
from clinic.scheduling.v1 import appointment_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import visit_service_pb2 as visit_pb
from clinic_common.identity import Role
from clinic_common.protoconv import fill_date, timestamp
from clinic_devtools.testing import auth
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.e2e.conftest import eventually, next_open_time

pytestmark = pytest.mark.e2e

# Who does what: the front desk keeps insurance, a nurse at La Jolla screens and measures,
# a provider clears and prescribes.
DESK = auth.metadata(Role.FRONT_DESK, sub="desk-1", locations=("la-jolla",))
NURSE = auth.metadata(Role.NURSE, sub="rn-ortiz", locations=("la-jolla",))
PROVIDER = auth.metadata(Role.PROVIDER, sub="dr-lee", locations=("la-jolla", "encinitas"))
WEIGHT_GRAMS = 71_300  # 71.3 kg: 35.65 mg at 0.5 mg/kg
PHQ9_ITEM_9_POSITIVE = [3, 3, 2, 2, 2, 1, 1, 1, 1]  # item 9 (thoughts of self-harm) is 1


def reason(error: grpc.RpcError) -> str:
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(error).details[0].Unpack(info)
    return info.reason


class Intake:
    """Intake's services on the stack's channel, as front desk and clinicians use them."""

    def __init__(self, stack):
        channel = stack.channels["intake"]
        self.coverages = coverage_service_pb2_grpc.CoverageServiceStub(channel)
        self.history = history_service_pb2_grpc.HistoryServiceStub(channel)
        self.screenings = screening_service_pb2_grpc.ScreeningServiceStub(channel)
        self.consents = consent_service_pb2_grpc.ConsentServiceStub(channel)
        self.candidacy = candidacy_service_pb2_grpc.CandidacyServiceStub(channel)
        self.plans = treatment_plan_service_pb2_grpc.TreatmentPlanServiceStub(channel)

    def open_flags(self, parent: str) -> list:
        return list(self.screenings.ListSafetyFlags(screening_service_pb2.ListSafetyFlagsRequest(
            parent=parent, open_only=True)).flags)


def book(stack, patient_id: str, kind: str, start: dt.datetime) -> appointment_pb2.Appointment:
    appointment = appointment_pb2.Appointment(patient_id=patient_id, appointment_type=kind,
                                              start_time=timestamp(start))
    return stack.appointments.CreateAppointment(appt_pb.CreateAppointmentRequest(
        parent="locations/la-jolla", appointment=appointment)).appointment


def refusal(stack, patient_id: str, kind: str, start: dt.datetime) -> str:
    """The reason scheduling refuses the booking with; a booking made fails the test."""
    try:
        booked = book(stack, patient_id, kind, start)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
        return reason(error)
    raise AssertionError(f"scheduling booked {booked.name} but should have refused it")


def add_coverage(intake: Intake, parent: str) -> coverage_pb2.Coverage:
    coverage = coverage_pb2.Coverage(
        payer_id="60054", payer_name="Aetna", member_id="W123456789", group_number="G-77",
        subscriber_relationship=coverage_pb2.SUBSCRIBER_RELATIONSHIP_SELF,
        plan_type=coverage_pb2.PLAN_TYPE_PPO, priority=1)
    fill_date(coverage.effective_date, dt.date.today() - dt.timedelta(days=30))
    return intake.coverages.CreateCoverage(coverage_service_pb2.CreateCoverageRequest(
        parent=parent, coverage=coverage), metadata=DESK).coverage


def screen_and_acknowledge_flag(intake: Intake, parent: str, now) -> None:
    """A PHQ-9 with item 9 above zero raises a flag a clinician reviews the same day."""
    scored = intake.screenings.CreateScreening(screening_service_pb2.CreateScreeningRequest(
        parent=parent, screening=screening_pb2.Screening(
            instrument="PHQ-9", administer_time=now,
            answers=[screening_pb2.ItemAnswer(item=i, value=v)
                     for i, v in enumerate(PHQ9_ITEM_9_POSITIVE, 1)])), metadata=NURSE).screening
    assert (scored.total_score, len(scored.raised_flags)) == (16, 1)
    [flag] = intake.open_flags(parent)
    assert (flag.name, flag.kind, flag.acknowledged) == (scored.raised_flags[0], "SUICIDALITY",
                                                         False)
    intake.screenings.AcknowledgeSafetyFlag(screening_service_pb2.AcknowledgeSafetyFlagRequest(
        name=flag.name, note="safety plan in place"), metadata=PROVIDER)
    assert intake.open_flags(parent) == []


def prepare_for_ketamine(intake: Intake, parent: str) -> None:
    """Vitals with the weight, the screening and its flag, consent, contraindications."""
    now = timestamp(dt.datetime.now(dt.UTC))
    intake.history.RecordVitals(history_service_pb2.RecordVitalsRequest(
        parent=parent, vitals=history_pb2.Vitals(
            measure_time=now, weight_grams=WEIGHT_GRAMS, systolic_mmhg=124, diastolic_mmhg=80,
            location_id="la-jolla")), metadata=NURSE)
    screen_and_acknowledge_flag(intake, parent, now)
    intake.consents.CreateConsent(consent_service_pb2.CreateConsentRequest(
        parent=parent, consent=consent_pb2.Consent(
            type=consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT, form_version="2025-01",
            sign_time=now, signed_by="patient")), metadata=NURSE)
    findings = intake.candidacy.EvaluateContraindications(
        candidacy_service_pb2.EvaluateContraindicationsRequest(
            parent=parent, modality=events_pb2.MODALITY_IV_KETAMINE)).findings
    assert findings and {f.outcome for f in findings} == {candidacy_pb2.FINDING_OUTCOME_OK}


def clear_for_ketamine(intake: Intake, parent: str) -> None:
    decision = intake.candidacy.DecideCandidacy(candidacy_service_pb2.DecideCandidacyRequest(
        parent=parent, modality=events_pb2.MODALITY_IV_KETAMINE,
        outcome=events_pb2.CANDIDACY_OUTCOME_CLEARED, reason="treatment-resistant depression"),
        metadata=PROVIDER).decision
    assert decision.outcome == events_pb2.CANDIDACY_OUTCOME_CLEARED


def ketamine_plan(intake: Intake, parent: str) -> treatment_plan_pb2.TreatmentPlan:
    return intake.plans.CreateTreatmentPlan(treatment_plan_service_pb2.CreateTreatmentPlanRequest(
        parent=parent, plan=treatment_plan_pb2.TreatmentPlan(
            modality=events_pb2.MODALITY_IV_KETAMINE, indication_code="F33.2")),
        metadata=PROVIDER).plan


def test_a_patient_goes_from_registration_to_a_billed_infusion_at_the_dose_given(stack):
    stack.apply_locations()
    intake = Intake(stack)
    patient = stack.register_patient(preferred_location_id="la-jolla")
    patient_id = patient.patient_id
    coverage = add_coverage(intake, patient.name)
    prepare_for_ketamine(intake, patient.name)
    infusion_at = next_open_time(9, closed=stack.closures("la-jolla"))

    # Scheduling knows the patient (no longer PATIENT_UNKNOWN) but no clearance yet.
    eventually(lambda: refusal(stack, patient_id, "IV_KETAMINE_INFUSION", infusion_at)
               == "PATIENT_NOT_CLEARED")
    clear_for_ketamine(intake, patient.name)
    eventually(lambda: refusal(stack, patient_id, "IV_KETAMINE_INFUSION", infusion_at)
               == "NO_ACTIVE_PLAN")
    plan = ketamine_plan(intake, patient.name)
    assert (plan.dose.weight_grams, plan.dose.mg_per_kg, plan.dose.dose_mcg) == \
        (WEIGHT_GRAMS, "0.5", 35_650)
    booked = eventually(lambda: book(stack, patient_id, "IV_KETAMINE_INFUSION", infusion_at))
    assert (booked.patient_id, booked.status) == \
        (patient_id, appointment_pb2.APPOINTMENT_STATUS_BOOKED)

    # Cleared for IV ketamine is not cleared for TMS.
    assert refusal(stack, patient_id, "TMS_SESSION",
                   infusion_at + dt.timedelta(hours=3)) == "PATIENT_NOT_CLEARED"

    coverages = eventually(lambda: stack.account(patient_id).coverages)
    assert [(c.coverage_id, c.payer_id, c.member_id, c.priority, c.plan_type)
            for c in coverages] == [(coverage.coverage_id, "60054", "W123456789", 1, "PPO")]

    # The visit day, check-in to discharge with vitals; the nurse gives 37.5 mg, not the
    # plan's 35.65 mg, and billing bills what was given.
    start = booked.start_time.ToDatetime(dt.UTC)
    run_infusion(stack, booked.name, start, dose_given_mg="37.5")
    with stack.scheduling_time(start + dt.timedelta(minutes=80)):
        done = stack.visits.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
            name=booked.name, rendering_provider_id="dr-lee")).appointment
    assert (done.status, done.visit.dose_given_mcg, done.visit.escort_recorded) == \
        (appointment_pb2.APPOINTMENT_STATUS_FULFILLED, 37_500, True)
    assert len(done.visit.vitals) == 2
    charges = eventually(lambda: [c for c in stack.charges(patient_id)
                                  if c.appointment_id == booked.appointment_id])
    # The dose given in whole mg, rounded half up: 37.5 -> 38; 45 minutes infused: no 96366.
    assert sorted((c.procedure_code, c.units, list(c.diagnosis_codes)) for c in charges) == \
        [("96365", 1, ["F33.2"]), ("J3490", 38, ["F33.2"])]


def run_infusion(stack, name: str, start: dt.datetime, dose_given_mg: str) -> None:
    """Check in, start, vitals at 5 and 30 minutes, end at 45, discharge at 80 with the escort,
    each at its own moment on scheduling's clock."""
    minute = dt.timedelta(minutes=1)
    steps = [
        (-10, lambda: stack.visits.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
            name=name, escort_confirmed=True, fasting_confirmed=True))),
        (0, lambda: stack.visits.StartVisit(visit_pb.StartVisitRequest(
            name=name, drug="ketamine", dose_given_mg=dose_given_mg, lot_number="K-2027-01"))),
        (5, lambda: stack.visits.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(
            name=name, systolic_mmhg=128, diastolic_mmhg=82, pulse_bpm=76, spo2_percent=98))),
        (30, lambda: stack.visits.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(
            name=name, systolic_mmhg=142, diastolic_mmhg=88, pulse_bpm=84, spo2_percent=97))),
        (45, lambda: stack.visits.EndVisit(visit_pb.EndVisitRequest(name=name))),
        (79, lambda: stack.visits.DischargeVisit(visit_pb.DischargeVisitRequest(
            name=name, escort_name="Alex Rivera"))),
    ]
    for minutes, step in steps:
        with stack.scheduling_time(start + minutes * minute):
            step()


def test_a_patient_never_cleared_cannot_book_a_tms_session(stack):
    stack.apply_locations()
    patient = stack.register_patient(preferred_location_id="la-jolla")
    at = next_open_time(13, closed=stack.closures("la-jolla"))
    eventually(lambda: refusal(stack, patient.patient_id, "TMS_SESSION", at)
               == "PATIENT_NOT_CLEARED")
    follow_up = book(stack, patient.patient_id, "FOLLOW_UP", at)  # no clearance needed
    assert [a.appointment_id for a in stack.appointments.ListAppointments(
        appt_pb.ListAppointmentsRequest(parent="locations/-",
                                        patient_id=patient.patient_id)).appointments] == \
        [follow_up.appointment_id]
