"""Scheduling's projection of intake, fed records as the Kafka consumer would feed them."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import appointment_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import events_pb2 as scheduling_events

from tests.scheduling.helpers import PACIFIC, reason

START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)


def projection(scheduling, query):
    with scheduling.runtime.uow() as uow:
        return query(uow.projections)


def test_the_same_registration_delivered_twice_has_one_effect(scheduling):
    event = intake.PatientRegistered(patient_id="p1", preferred_location_id="la-jolla")
    assert scheduling.feed(event, event_id="e-1") == "handled"
    assert scheduling.feed(event, event_id="e-1") == "duplicate"
    assert scheduling.feed(event, event_id="e-2") == "handled"  # a re-publish: an upsert
    from sqlalchemy import text

    with scheduling.runtime.engine.connect() as connection:
        rows = connection.execute(text("SELECT patient_id, preferred_location_id "
                                       "FROM known_patients")).all()
    assert [tuple(r) for r in rows] == [("p1", "la-jolla")]


def test_a_registered_patient_can_be_booked(scheduling):
    scheduling.create_location()
    with pytest.raises(grpc.RpcError) as unknown:
        scheduling.book("p1", START, kind="FOLLOW_UP")
    assert reason(unknown.value) == "PATIENT_UNKNOWN"
    scheduling.register("p1")
    assert scheduling.book("p1", START, kind="FOLLOW_UP").patient_id == "p1"


def test_a_merge_moves_visits_to_the_survivor_and_retires_the_merged_id(scheduling):
    scheduling.create_location()
    scheduling.register("keep")
    scheduling.register("dupe")
    scheduling.clear("dupe")
    visit = scheduling.book("dupe", START)
    assert scheduling.feed(intake.PatientMerged(surviving_patient_id="keep",
                                                merged_patient_id="dupe")) == "handled"
    moved = scheduling.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=visit.name))
    assert moved.appointment.patient_id == "keep"
    assert moved.appointment.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("dupe", START + dt.timedelta(days=1))
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "PATIENT_MERGED")


def test_a_slot_both_merged_records_held_is_released_once_and_announced(scheduling):
    scheduling.create_location()
    scheduling.register("keep")
    scheduling.register("dupe")
    kept = scheduling.book("keep", START, kind="FOLLOW_UP")
    doubled = scheduling.book("dupe", START, kind="FOLLOW_UP")
    merge = intake.PatientMerged(surviving_patient_id="keep", merged_patient_id="dupe")
    scheduling.feed(merge, event_id="m-1")
    scheduling.feed(merge, event_id="m-1")
    visits = {a.appointment_id: a for a in scheduling.appointments(patient_id="keep")}
    assert visits[kept.appointment_id].status == appointment_pb2.APPOINTMENT_STATUS_BOOKED
    assert visits[doubled.appointment_id].status == appointment_pb2.APPOINTMENT_STATUS_CANCELLED
    cancels = [scheduling_events.AppointmentCancelled.FromString(e.payload)
               for e in scheduling.events() if e.event_type.endswith("AppointmentCancelled")]
    assert [(c.appointment_id, c.patient_id, c.reason, c.late) for c in cancels] == \
        [(doubled.appointment_id, "keep", "duplicate_patient", False)]


def test_clearances_and_plans_are_kept_and_follow_a_merge(scheduling):
    scheduling.register("keep")
    scheduling.register("dupe")
    decided = intake.CandidacyDecided(
        patient_id="dupe", decision_id="d-1", modality=intake.MODALITY_IV_KETAMINE,
        outcome=intake.CANDIDACY_OUTCOME_CLEARED, decided_by="dr-1")
    decided.decide_time.FromDatetime(dt.datetime(2027, 2, 1, 18))
    scheduling.feed(decided, event_id="c-1")
    scheduling.feed(decided, event_id="c-1")
    scheduling.feed(intake.TreatmentPlanCreated(
        patient_id="dupe", plan_id="plan-1", version=1, modality=intake.MODALITY_IV_KETAMINE,
        indication_code="F33.2", series_sessions=6, min_spacing_hours=24, dose_mcg=35_000))
    scheduling.feed(intake.PatientMerged(surviving_patient_id="keep", merged_patient_id="dupe"))
    clearance = projection(scheduling, lambda p: p.latest_clearance("keep", "IV_KETAMINE"))
    assert (clearance.decision_id, clearance.cleared) == ("d-1", True)
    plan = projection(scheduling, lambda p: p.active_plan("keep", "IV_KETAMINE"))
    assert (plan.plan_id, plan.dose_mcg, plan.indication_code) == ("plan-1", 35_000, "F33.2")


def test_a_plan_takes_newer_amendments_only_and_ends(scheduling):
    scheduling.feed(intake.TreatmentPlanCreated(
        patient_id="p1", plan_id="plan-1", version=1, modality=intake.MODALITY_SPRAVATO,
        dose_mcg=56_000))
    scheduling.feed(intake.TreatmentPlanAmended(plan_id="plan-1", patient_id="p1", version=3,
                                                dose_mcg=84_000, series_sessions=8))
    scheduling.feed(intake.TreatmentPlanAmended(plan_id="plan-1", patient_id="p1", version=2,
                                                dose_mcg=28_000))
    plan = projection(scheduling, lambda p: p.plan("plan-1"))
    assert (plan.version, plan.dose_mcg, plan.series_sessions) == (3, 84_000, 8)
    scheduling.feed(intake.TreatmentPlanEnded(plan_id="plan-1", patient_id="p1",
                                              reason="completed"))
    assert projection(scheduling, lambda p: p.active_plan("p1", "SPRAVATO")) is None
    assert projection(scheduling, lambda p: p.plan("plan-1")).end_reason == "completed"


def test_a_plan_keeps_the_infusion_length_intake_announced_and_its_amendments(scheduling):
    scheduling.feed(intake.TreatmentPlanCreated(
        patient_id="p1", plan_id="plan-1", version=1, modality=intake.MODALITY_IV_KETAMINE,
        dose_mcg=35_000, duration_minutes=120))
    assert projection(scheduling, lambda p: p.plan("plan-1")).duration_minutes == 120
    scheduling.feed(intake.TreatmentPlanAmended(plan_id="plan-1", patient_id="p1", version=2,
                                                dose_mcg=35_000, duration_minutes=240))
    assert projection(scheduling, lambda p: p.plan("plan-1")).duration_minutes == 240


def test_a_clearance_keeps_its_escort_requirement_and_fasting_instruction(scheduling):
    decided = intake.CandidacyDecided(
        patient_id="p1", decision_id="d-1", modality=intake.MODALITY_SPRAVATO,
        outcome=intake.CANDIDACY_OUTCOME_CLEARED, decided_by="dr-1", escort_required=True,
        fasting_instruction="No food for 2 hours and no liquids for 30 minutes before the dose.")
    decided.decide_time.FromDatetime(dt.datetime(2027, 2, 1, 18, tzinfo=dt.UTC))
    assert scheduling.feed(decided) == "handled"
    clearance = projection(scheduling, lambda p: p.latest_clearance("p1", "SPRAVATO"))
    assert (clearance.escort_required, clearance.fasting_instruction) == \
        (True, decided.fasting_instruction)


def test_a_suspended_plan_stays_suspended_until_intake_ends_it(scheduling):
    scheduling.feed(intake.TreatmentPlanCreated(
        patient_id="p1", plan_id="plan-1", version=1, modality=intake.MODALITY_TMS))
    scheduling.feed(intake.TreatmentPlanSuspended(plan_id="plan-1", patient_id="p1",
                                                  reason="consent_revoked"))
    plan = projection(scheduling, lambda p: p.plan("plan-1"))
    assert (plan.status, plan.end_reason) == ("SUSPENDED", "consent_revoked")
    assert projection(scheduling, lambda p: p.active_plan("p1", "TMS")) is None
    scheduling.feed(intake.TreatmentPlanEnded(plan_id="plan-1", patient_id="p1",
                                              reason="patient_withdrew"))
    assert projection(scheduling, lambda p: p.plan("plan-1")).status == "ENDED"


def test_an_amendment_of_a_plan_never_announced_is_dead_lettered_without_effect(scheduling):
    result = scheduling.feed(intake.TreatmentPlanAmended(plan_id="ghost", patient_id="p1",
                                                         version=2), event_id="x-1")
    assert result == "dead-lettered"
    assert projection(scheduling, lambda p: p.plan("ghost")) is None
    with scheduling.runtime.uow() as uow:
        assert not uow.already_processed("scheduling", "x-1")


def test_events_scheduling_does_not_need_are_ignored(scheduling):
    assert scheduling.feed(intake.CoverageAdded(patient_id="p1", coverage_id="c")) == "ignored"


def test_a_changed_preferred_location_is_kept(scheduling):
    scheduling.register("p1")
    scheduling.feed(intake.PatientUpdated(patient_id="p1", preferred_location_id="temecula",
                                          changed_fields=["preferred_location_id"]))
    scheduling.feed(intake.PatientUpdated(patient_id="p1", preferred_location_id="",
                                          changed_fields=["phone"]))
    assert projection(scheduling, lambda p: p.patient("p1")).preferred_location_id == "temecula"


def test_a_modality_newer_than_this_build_is_stored_not_dead_lettered(scheduling):
    assert scheduling.feed(intake.CandidacyDecided(
        patient_id="p1", decision_id="d-9", modality=9,
        outcome=intake.CANDIDACY_OUTCOME_CLEARED)) == "handled"
    assert projection(scheduling, lambda p: p.clearance("d-9")).modality == "UNKNOWN_9"
