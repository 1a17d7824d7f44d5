"""Treatments are booked only for patients intake cleared under an active plan, over gRPC on
SQLite and PostgreSQL, with the clearance and the plan fed through the intake consumer."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from sqlalchemy import text

from tests.scheduling.helpers import PACIFIC, reason

TUESDAY_9 = dt.datetime(2027, 3, 2, 9, 0, tzinfo=PACIFIC)
IV, SPRAVATO, TMS = (intake.MODALITY_IV_KETAMINE, intake.MODALITY_SPRAVATO,
                     intake.MODALITY_TMS)
NOT_A_CANDIDATE = intake.CANDIDACY_OUTCOME_NOT_A_CANDIDATE
TREATMENTS = [("IV_KETAMINE_INFUSION", IV), ("SPRAVATO_SESSION", SPRAVATO), ("TMS_SESSION", TMS)]


@pytest.fixture
def ready(scheduling):
    scheduling.create_location()
    scheduling.register("p1")
    return scheduling


def refused(scheduling, kind: str, **booking) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as refusal:
        scheduling.book("p1", TUESDAY_9, kind=kind, **booking)
    return refusal.value.code(), reason(refusal.value)


def assert_no_trace(scheduling) -> None:
    """Nothing was stored: no appointment, no held resource, no remembered request, no event."""
    with scheduling.runtime.engine.connect() as connection:
        counts = [connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                  for table in ("appointments", "appointment_resources", "request_log")]
    assert counts == [0, 0, 0]
    assert scheduling.events() == []


@pytest.mark.parametrize("kind, modality", TREATMENTS)
def test_a_treatment_for_a_patient_never_decided_on_is_refused_and_leaves_no_trace(
        ready, kind, modality):
    assert refused(ready, kind) == (grpc.StatusCode.FAILED_PRECONDITION, "PATIENT_NOT_CLEARED")
    assert_no_trace(ready)


@pytest.mark.parametrize("kind, modality", TREATMENTS)
def test_a_treatment_for_a_cleared_patient_without_an_active_plan_is_refused(
        ready, kind, modality):
    ready.decide("p1", modality)
    assert refused(ready, kind) == (grpc.StatusCode.FAILED_PRECONDITION, "NO_ACTIVE_PLAN")
    assert_no_trace(ready)


@pytest.mark.parametrize("kind, modality", TREATMENTS)
def test_a_treatment_is_booked_once_the_clearance_and_the_plan_have_arrived(
        ready, kind, modality):
    ready.clear("p1", modality, dose_mcg=56_000)
    booked = ready.book("p1", TUESDAY_9, kind=kind)
    assert (booked.patient_id, booked.appointment_type) == ("p1", kind)
    assert [e.event_type for e in ready.events()] == ["clinic.scheduling.v1.AppointmentBooked"]


@pytest.mark.parametrize("kind", ["FREE_CONSULTATION", "PSYCHIATRIC_EVALUATION", "FOLLOW_UP"])
def test_consultations_evaluations_and_follow_ups_need_no_clearance(ready, kind):
    assert ready.book("p1", TUESDAY_9, kind=kind).appointment_type == kind


@pytest.mark.parametrize("outcome", [NOT_A_CANDIDATE,
                                     intake.CANDIDACY_OUTCOME_NEEDS_MORE_INFORMATION])
def test_a_later_decision_other_than_cleared_withdraws_the_clearance(ready, outcome):
    ready.clear("p1")
    ready.decide("p1", IV, outcome)
    assert refused(ready, "IV_KETAMINE_INFUSION") == \
        (grpc.StatusCode.FAILED_PRECONDITION, "PATIENT_NOT_CLEARED")
    assert_no_trace(ready)
    ready.decide("p1", IV)  # cleared again
    assert ready.book("p1", TUESDAY_9).appointment_type == "IV_KETAMINE_INFUSION"


def test_the_latest_decision_counts_even_when_an_older_one_arrives_after_it(ready):
    ready.decide("p1", IV, NOT_A_CANDIDATE, at=dt.datetime(2027, 2, 20, tzinfo=dt.UTC))
    ready.decide("p1", IV, at=dt.datetime(2027, 2, 10, tzinfo=dt.UTC))  # delivered late
    ready.start_plan("p1", IV)
    assert refused(ready, "IV_KETAMINE_INFUSION")[1] == "PATIENT_NOT_CLEARED"
    assert_no_trace(ready)


def test_a_clearance_and_a_plan_for_another_modality_do_not_count(ready):
    ready.clear("p1", IV)
    assert refused(ready, "TMS_SESSION")[1] == "PATIENT_NOT_CLEARED"
    ready.decide("p1", TMS)
    assert refused(ready, "TMS_SESSION")[1] == "NO_ACTIVE_PLAN"
    assert_no_trace(ready)


def test_an_ended_plan_is_no_active_plan(ready):
    plan_id = ready.clear("p1")
    ready.end_plan("p1", plan_id)
    assert refused(ready, "IV_KETAMINE_INFUSION")[1] == "NO_ACTIVE_PLAN"
    assert_no_trace(ready)


def test_a_plan_suspended_by_a_revoked_consent_is_no_active_plan(ready):
    plan_id = ready.clear("p1")
    suspended = intake.TreatmentPlanSuspended(
        patient_id="p1", plan_id=plan_id, modality=IV, reason="consent_revoked",
        consent_id="c-1")
    assert ready.feed(suspended, key="p1", event_id="s-1") == "handled"
    assert ready.feed(suspended, key="p1", event_id="s-2") == "handled"  # a re-publish
    assert refused(ready, "IV_KETAMINE_INFUSION")[1] == "NO_ACTIVE_PLAN"
    assert_no_trace(ready)
    ready.start_plan("p1")  # the provider writes a new plan once consent is signed again
    assert ready.book("p1", TUESDAY_9).patient_id == "p1"


def test_a_refused_request_id_is_not_remembered_and_books_once_cleared(ready):
    assert refused(ready, "IV_KETAMINE_INFUSION", request_id="book-1")[1] == \
        "PATIENT_NOT_CLEARED"
    assert_no_trace(ready)
    ready.clear("p1")
    first = ready.book("p1", TUESDAY_9, request_id="book-1")
    assert ready.book("p1", TUESDAY_9, request_id="book-1") == first
    assert len(ready.events()) == 1


def test_a_clearance_of_a_merged_away_record_lets_the_survivor_book(ready):
    ready.register("dupe")
    ready.clear("dupe")
    ready.feed(intake.PatientMerged(surviving_patient_id="p1", merged_patient_id="dupe"))
    assert ready.book("p1", TUESDAY_9).patient_id == "p1"


def test_every_treatment_type_names_its_modality_in_the_seeded_data(scheduling):
    with scheduling.runtime.uow() as uow:
        modalities = {code: uow.appointment_types.get(code).modality for code in
                      ("IV_KETAMINE_INFUSION", "SPRAVATO_SESSION", "TMS_SESSION",
                       "FREE_CONSULTATION", "PSYCHIATRIC_EVALUATION", "FOLLOW_UP")}
    assert modalities == {"IV_KETAMINE_INFUSION": "IV_KETAMINE", "SPRAVATO_SESSION": "SPRAVATO",
                          "TMS_SESSION": "TMS", "FREE_CONSULTATION": "",
                          "PSYCHIATRIC_EVALUATION": "", "FOLLOW_UP": ""}
