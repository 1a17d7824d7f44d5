"""The visit day: checklist at check-in, start, vitals alerts, end, discharge, completion."""

import datetime as dt

import pytest
from clinic_common.errors import FieldViolation
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import Appointment, Status
from clinic_scheduling.domain.visit import BillingFacts, Checklist, Phase, VisitPolicy, VitalSigns

NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
START = dt.datetime(2027, 3, 3, 17, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
POLICY = VisitPolicy()


def booked(kind="IV_KETAMINE_INFUSION") -> Appointment:
    return Appointment.book(location_id="la-jolla", patient_id="p1", appointment_type=kind,
                            start=START, end=START + 135 * MIN, service_date=START.date(),
                            resource_ids=["room-1"], now=NOW)


def vitals(at, systolic=120, diastolic=80, pulse=70, spo2=98) -> VitalSigns:
    return VitalSigns(taken_at=at, systolic_mmhg=systolic, diastolic_mmhg=diastolic,
                      pulse_bpm=pulse, spo2_percent=spo2, recorded_by="rn-1")


def started(kind="IV_KETAMINE_INFUSION", dose_mcg=35_500) -> Appointment:
    appointment = booked(kind)
    appointment.check_in(START - 10 * MIN, Checklist(True, True, True, True))
    appointment.start_visit(START, drug="ketamine", dose_mcg=dose_mcg, lot_number="L1",
                            staff_id="rn-1")
    return appointment


def reason_of(call) -> str:
    with pytest.raises(errors.VisitStepRefused) as refused:
        call()
    return refused.value.reason


def test_check_in_names_the_checklist_items_the_clearance_needs():
    appointment = booked()
    with pytest.raises(errors.VisitStepRefused) as refused:
        appointment.check_in(START, Checklist(False, False, escort_required=True,
                                              fasting_required=True))
    assert refused.value.reason == "CHECKLIST_INCOMPLETE"
    assert refused.value.metadata["missing"] == "escort_confirmed,fasting_confirmed"
    assert appointment.status == Status.BOOKED and appointment.checked_in_at is None


def test_check_in_without_requirements_needs_no_confirmations():
    appointment = booked("FOLLOW_UP")
    appointment.check_in(START, Checklist(False, False))
    assert (appointment.status, appointment.phase) == (Status.CHECKED_IN, Phase.CHECKED_IN)


def test_the_treatment_starts_only_after_check_in_and_once():
    appointment = booked()
    assert reason_of(lambda: appointment.start_visit(
        START, drug="ketamine", dose_mcg=1, lot_number="", staff_id="rn-1")) == \
        "VISIT_NOT_CHECKED_IN"
    appointment = started()
    assert (appointment.phase, appointment.started_by, appointment.dose_given_mcg) == \
        (Phase.IN_PROGRESS, "rn-1", 35_500)
    assert reason_of(lambda: appointment.start_visit(
        START, drug="ketamine", dose_mcg=1, lot_number="", staff_id="rn-1")) == \
        "VISIT_NOT_CHECKED_IN"


@pytest.mark.parametrize("reading, alerts", [
    (dict(), []), (dict(systolic=180), ["systolic_mmhg"]),
    (dict(diastolic=110), ["diastolic_mmhg"]), (dict(spo2=91), ["spo2_percent"]),
    (dict(spo2=92), []), (dict(pulse=130), ["pulse_bpm"]), (dict(pulse=44), ["pulse_bpm"])])
def test_out_of_range_vitals_alert(reading, alerts):
    assert vitals(START, **reading).alerts(POLICY) == alerts


def test_vitals_are_recorded_between_check_in_and_discharge_only():
    assert reason_of(lambda: booked().record_vitals(vitals(START), START)) == \
        "VISIT_NOT_CHECKED_IN"
    appointment = started()
    appointment.record_vitals(vitals(START + 5 * MIN), START + 6 * MIN)
    assert len(appointment.vitals) == 1


def test_ketamine_discharge_needs_the_end_and_an_escort():
    appointment = started()
    assert reason_of(lambda: appointment.discharge(START + MIN, "Sam", "IV_KETAMINE",
                                                   POLICY)) == "VISIT_NOT_ENDED"
    appointment.end_visit(START + 40 * MIN)
    assert reason_of(lambda: appointment.discharge(START + 80 * MIN, " ", "IV_KETAMINE",
                                                   POLICY)) == "ESCORT_REQUIRED"
    appointment.discharge(START + 80 * MIN, "Sam Doe", "IV_KETAMINE", POLICY)
    assert (appointment.phase, appointment.escort_name) == (Phase.DISCHARGED, "Sam Doe")


def test_spravato_discharge_waits_two_hours_and_needs_its_blood_pressures():
    appointment = started("SPRAVATO_SESSION", dose_mcg=56_000)
    appointment.end_visit(START + 5 * MIN)
    assert reason_of(lambda: appointment.discharge(START + 119 * MIN, "Sam", "SPRAVATO",
                                                   POLICY)) == "OBSERVATION_NOT_OVER"
    appointment.record_vitals(vitals(START - 5 * MIN), START + 30 * MIN)
    with pytest.raises(errors.VisitStepRefused) as refused:
        appointment.discharge(START + 120 * MIN, "Sam", "SPRAVATO", POLICY)
    assert (refused.value.reason, refused.value.metadata["missing"]) == \
        ("MONITORING_INCOMPLETE", "bp_40_min_after_dose")
    appointment.record_vitals(vitals(START + 42 * MIN), START + 50 * MIN)
    appointment.discharge(START + 120 * MIN, "Sam", "SPRAVATO", POLICY)
    assert appointment.phase == Phase.DISCHARGED


def test_tms_is_discharged_without_an_escort():
    appointment = started("TMS_SESSION", dose_mcg=0)
    appointment.end_visit(START + 20 * MIN)
    appointment.discharge(START + 21 * MIN, "", "TMS", POLICY)
    assert appointment.phase == Phase.DISCHARGED


def test_a_treatment_completes_only_after_every_step():
    appointment = started()
    with pytest.raises(errors.VisitStepRefused) as refused:
        appointment.complete(START + 30 * MIN, treatment=True)
    assert refused.value.metadata["missing"] == "ended,discharged"
    appointment.end_visit(START + 40 * MIN)
    appointment.discharge(START + 80 * MIN, "Sam", "IV_KETAMINE", POLICY)
    appointment.complete(START + 81 * MIN, treatment=True)
    assert (appointment.status, appointment.rendering_provider_id) == (Status.FULFILLED, "rn-1")


def test_a_visit_without_treatment_completes_from_check_in_but_not_from_booked():
    appointment = booked("FOLLOW_UP")
    assert reason_of(lambda: appointment.complete(START + MIN)) == "VISIT_STEPS_INCOMPLETE"
    appointment.check_in(START, Checklist(False, False))
    appointment.complete(START + 30 * MIN, "dr-1")
    assert appointment.status == Status.FULFILLED


def test_an_outdated_weight_for_a_weight_based_dose_is_a_missing_checklist_item():
    appointment = booked()
    with pytest.raises(errors.VisitStepRefused) as refused:
        appointment.check_in(START, Checklist(True, True, weight_outdated=True))
    assert (refused.value.reason, refused.value.metadata["missing"]) == \
        ("CHECKLIST_INCOMPLETE", "recent_weight")


def _field_reason(call) -> str:
    with pytest.raises(FieldViolation) as refused:
        call()
    return refused.value.reason


def test_a_tms_session_records_a_motor_threshold_re_determination():
    appointment = booked("TMS_SESSION")
    appointment.check_in(START - 10 * MIN, Checklist(True, True))
    appointment.start_visit(START, drug="", dose_mcg=0, lot_number="", staff_id="tech-1")
    appointment.end_visit(START + 20 * MIN)
    appointment.discharge(START + 25 * MIN, "", "TMS", POLICY)
    appointment.complete(START + 30 * MIN, treatment=True, modality="TMS",
                         facts=BillingFacts(motor_threshold_redetermined=True))
    assert appointment.motor_threshold_redetermined
    assert appointment.drug_wasted_mcg is None


@pytest.mark.parametrize(("facts", "modality", "drug", "expected"), [
    (BillingFacts(motor_threshold_redetermined=True), "IV_KETAMINE", "ketamine",
     "MOTOR_THRESHOLD_NOT_TMS"),
    (BillingFacts(motor_threshold_redetermined=True), "", "", "MOTOR_THRESHOLD_NOT_TMS"),
    (BillingFacts(drug_wasted_mcg=1_000), "TMS", "", "DRUG_WASTED_WITHOUT_DRUG"),
    (BillingFacts(drug_wasted_mcg=-1), "SPRAVATO", "esketamine", "DRUG_WASTED_INVALID"),
    (BillingFacts(em_level=1), "", "", "EM_LEVEL_INVALID"),
    (BillingFacts(provider_credential="RN"), "", "", "PROVIDER_CREDENTIAL_INVALID"),
])
def test_billing_facts_the_visit_cannot_have_are_refused(facts, modality, drug, expected):
    assert _field_reason(lambda: facts.validate(modality=modality, drug=drug)) == expected


def test_billing_facts_in_range_are_accepted():
    for level in (2, 3, 4, 5):
        BillingFacts(em_level=level, provider_credential="PSYD").validate(modality="", drug="")
    BillingFacts(drug_wasted_mcg=0).validate(modality="SPRAVATO", drug="esketamine")


def test_a_refused_fact_leaves_the_visit_unfulfilled():
    appointment = booked("FOLLOW_UP")
    appointment.check_in(START - 10 * MIN, Checklist(False, False))
    with pytest.raises(FieldViolation):
        appointment.complete(START, facts=BillingFacts(em_level=9))
    assert appointment.status != Status.FULFILLED
    appointment.complete(START, facts=BillingFacts(em_level=2))
    assert (appointment.status, appointment.em_level) == (Status.FULFILLED, 2)
