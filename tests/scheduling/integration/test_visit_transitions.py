"""Cancel, no-show and complete over gRPC, with the events they announce."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import appointment_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import events_pb2 as scheduling_events
from clinic.scheduling.v1 import visit_service_pb2 as visit_pb
from clinic_common.protoconv import utc
from clinic_devtools.testing import auth

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import Scheduling, start_service

START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)  # Wednesday
PLAN_DOSE_MCG = 35_500  # 71 kg at 0.5 mg/kg


@pytest.fixture
def ready(scheduling):
    scheduling.create_location()
    for patient_id in ("p1", "p2"):
        scheduling.register(patient_id)
        scheduling.clear(patient_id, dose_mcg=PLAN_DOSE_MCG, indication_code="F33.2")
    return scheduling


def events_of(scheduling, kind):
    return [kind.FromString(e.payload) for e in scheduling.events()
            if e.event_type == kind.DESCRIPTOR.full_name]


PATIENT = appointment_pb2.CANCELLATION_INITIATOR_PATIENT
CLINIC = appointment_pb2.CANCELLATION_INITIATOR_CLINIC


def cancel(scheduling, name, why="patient_request", request_id="", by=PATIENT):
    return scheduling.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=name, reason=why, request_id=request_id, initiated_by=by)).appointment


TREATMENTS = {"IV_KETAMINE_INFUSION", "PAIN_KETAMINE_INFUSION", "SPRAVATO_SESSION",
              "TMS_SESSION", "TMS_MAPPING"}


def run_visit(scheduling, name):
    """Check in at the start; a treatment is also started (no dose), ended and discharged."""
    booked = scheduling.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=name)).appointment
    scheduling.clock.now = max(scheduling.clock.now, utc(booked.start_time.ToDatetime()))
    scheduling.visit_api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True))
    if booked.appointment_type in TREATMENTS:
        scheduling.visit_api.StartVisit(visit_pb.StartVisitRequest(name=name))
        if booked.appointment_type == "SPRAVATO_SESSION":  # BP at dose, at 40 min; 2 h
            for minutes in (40, 80):
                scheduling.visit_api.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(
                    name=name, systolic_mmhg=120, diastolic_mmhg=80, pulse_bpm=70,
                    spo2_percent=98))
                scheduling.clock.advance(minutes=minutes)
        scheduling.visit_api.EndVisit(visit_pb.EndVisitRequest(name=name))
        scheduling.visit_api.DischargeVisit(visit_pb.DischargeVisitRequest(
            name=name, escort_name="Escort"))


def complete(scheduling, name, **fields):
    """Complete the visit once it has started and run: the clock moves to its start."""
    run_visit(scheduling, name)
    return scheduling.visit_api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
        name=name, **fields)).appointment


def test_a_cancellation_well_ahead_is_not_late_and_frees_the_chair(ready):
    booked = ready.book("p1", START, resource_ids=["chair-1"])
    cancelled = cancel(ready, booked.name)
    assert cancelled.status == appointment_pb2.APPOINTMENT_STATUS_CANCELLED
    assert (cancelled.cancel_reason, cancelled.late_cancellation) == ("patient_request", False)
    [event] = events_of(ready, scheduling_events.AppointmentCancelled)
    assert (event.appointment_id, event.patient_id, event.late, event.reason) == \
        (booked.appointment_id, "p1", False, "patient_request")
    assert ready.book("p2", START, resource_ids=["chair-1"]).resource_ids == ["chair-1"]


def test_a_cancellation_within_24_hours_is_late(ready):
    booked = ready.book("p1", START)
    ready.clock.now = START.astimezone(dt.UTC) - dt.timedelta(hours=23)
    assert cancel(ready, booked.name).late_cancellation is True
    [event] = events_of(ready, scheduling_events.AppointmentCancelled)
    assert event.late is True


def test_a_clinic_cancellation_within_24_hours_is_never_late(ready):
    booked = ready.book("p1", START)
    ready.clock.now = START.astimezone(dt.UTC) - dt.timedelta(hours=2)
    cancelled = cancel(ready, booked.name, why="provider_unavailable", by=CLINIC)
    assert (cancelled.late_cancellation, cancelled.cancellation_initiator) == (False, CLINIC)
    [event] = events_of(ready, scheduling_events.AppointmentCancelled)
    assert (event.late, event.initiated_by) == (False, CLINIC)


def test_a_late_patient_cancellation_is_announced_with_its_initiator(ready):
    booked = ready.book("p1", START)
    ready.clock.now = START.astimezone(dt.UTC) - dt.timedelta(hours=2)
    assert cancel(ready, booked.name).cancellation_initiator == PATIENT
    [event] = events_of(ready, scheduling_events.AppointmentCancelled)
    assert (event.late, event.initiated_by) == (True, PATIENT)


def test_a_late_cancellation_of_a_type_without_a_fee_is_not_late(ready):
    booked = ready.book("p1", START, kind="FREE_CONSULTATION")
    ready.clock.now = START.astimezone(dt.UTC) - dt.timedelta(hours=2)
    assert cancel(ready, booked.name).late_cancellation is False
    [event] = events_of(ready, scheduling_events.AppointmentCancelled)
    assert event.late is False


def test_a_cancellation_without_its_initiator_is_invalid_and_changes_nothing(ready):
    booked = ready.book("p1", START)
    with pytest.raises(grpc.RpcError) as refused:
        cancel(ready, booked.name, by=appointment_pb2.CANCELLATION_INITIATOR_UNSPECIFIED)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert "PATIENT or CLINIC" in refused.value.details()
    assert events_of(ready, scheduling_events.AppointmentCancelled) == []


def test_the_late_cancel_window_is_configurable(database_url, clock):
    host, runtime = start_service(database_url, clock, late_cancel_hours=48)
    channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
    try:
        service = Scheduling(channel, runtime, clock)
        service.create_location()
        service.register("p1")
        service.clear("p1")
        booked = service.book("p1", START)
        clock.now = START.astimezone(dt.UTC) - dt.timedelta(hours=30)
        assert cancel(service, booked.name).late_cancellation is True
    finally:
        channel.close()
        host.stop()
        runtime.close()


def test_a_cancelled_visit_cannot_be_cancelled_again_and_is_announced_once(ready):
    booked = ready.book("p1", START)
    cancel(ready, booked.name)
    with pytest.raises(grpc.RpcError) as refused:
        cancel(ready, booked.name, why="clinic_request")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "INVALID_STATUS_TRANSITION"
    assert len(events_of(ready, scheduling_events.AppointmentCancelled)) == 1
    fetched = ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=booked.name)).appointment
    assert fetched.cancel_reason == "patient_request"


def test_a_retried_cancel_with_its_request_id_returns_the_first_result(ready):
    booked = ready.book("p1", START)
    first = cancel(ready, booked.name, request_id="c-1")
    assert cancel(ready, booked.name, request_id="c-1") == first
    assert len(events_of(ready, scheduling_events.AppointmentCancelled)) == 1


def test_a_cancellation_without_a_reason_is_invalid_and_changes_nothing(ready):
    booked = ready.book("p1", START)
    with pytest.raises(grpc.RpcError) as refused:
        cancel(ready, booked.name, why="")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fetched = ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=booked.name)).appointment
    assert fetched.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED
    assert events_of(ready, scheduling_events.AppointmentCancelled) == []


def test_a_visit_cannot_be_completed_before_it_started(ready):
    booked = ready.book("p1", START)
    request = visit_pb.CompleteAppointmentRequest(name=booked.name)
    ready.clock.now = START.astimezone(dt.UTC) - dt.timedelta(minutes=1)
    with pytest.raises(grpc.RpcError) as early:
        ready.visit_api.CompleteAppointment(request)
    assert (early.value.code(), reason(early.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "VISIT_NOT_STARTED")
    assert events_of(ready, scheduling_events.AppointmentCompleted) == []
    ready.clock.now = START.astimezone(dt.UTC)
    with pytest.raises(grpc.RpcError) as not_run:
        ready.visit_api.CompleteAppointment(request)
    assert (not_run.value.code(), reason(not_run.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "VISIT_STEPS_INCOMPLETE")
    run_visit(ready, booked.name)
    done = ready.visit_api.CompleteAppointment(request).appointment
    assert done.status == appointment_pb2.APPOINTMENT_STATUS_FULFILLED


def test_a_no_show_is_refused_before_the_start_and_announced_after(ready):
    booked = ready.book("p1", START)
    request = visit_pb.MarkAppointmentNoShowRequest(name=booked.name)
    with pytest.raises(grpc.RpcError) as early:
        ready.visit_api.MarkAppointmentNoShow(request)
    assert reason(early.value) == "APPOINTMENT_NOT_STARTED"
    assert events_of(ready, scheduling_events.AppointmentNoShow) == []
    ready.clock.now = START.astimezone(dt.UTC) + dt.timedelta(minutes=30)
    marked = ready.visit_api.MarkAppointmentNoShow(request).appointment
    assert marked.status == appointment_pb2.APPOINTMENT_STATUS_NOSHOW
    [event] = events_of(ready, scheduling_events.AppointmentNoShow)
    assert (event.appointment_id, event.patient_id, event.appointment_type) == \
        (booked.appointment_id, "p1", "IV_KETAMINE_INFUSION")


def test_a_completed_infusion_bills_the_plan_dose_with_the_plan_indication(ready):
    booked = ready.book("p1", START)
    done = complete(ready, booked.name, rendering_provider_id="dr-7")
    assert done.status == appointment_pb2.APPOINTMENT_STATUS_FULFILLED
    [event] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert (event.service_date, event.rendering_provider_id, event.location_id) == \
        ("2027-03-03", "dr-7", "la-jolla")
    assert [(line.procedure_code, line.units, list(line.diagnosis_codes))
            for line in event.service_lines] == [("96365", 1, ["F33.2"]),
                                                 ("J3490", 36, ["F33.2"])]  # 35.5 mg


def test_an_administered_dose_overrides_the_plan_and_a_plan_ended_since_booking_bills_zero_mg(
        ready):
    first = ready.book("p1", START)
    second = ready.book("p2", START)
    ready.register("p3")
    plan_id = ready.clear("p3")
    third = ready.book("p3", START + dt.timedelta(hours=2))
    ready.end_plan("p3", plan_id)
    complete(ready, first.name)
    complete(ready, second.name, administered_dose_mcg=40_000)
    complete(ready, third.name)
    units = {e.patient_id: [(line.procedure_code, line.units) for line in e.service_lines]
             for e in events_of(ready, scheduling_events.AppointmentCompleted)}
    assert units == {"p1": [("96365", 1), ("J3490", 36)], "p2": [("96365", 1), ("J3490", 40)],
                     "p3": [("96365", 1), ("J3490", 0)]}


@pytest.mark.parametrize("kind, lines", [
    ("SPRAVATO_SESSION", [("G2083", 1)]), ("TMS_SESSION", [("90868", 1)]),
    ("PSYCHIATRIC_EVALUATION", [("90792", 1)]), ("FOLLOW_UP", [("99213", 1)]),
    ("FREE_CONSULTATION", [])])
def test_each_visit_type_bills_its_default_lines(ready, kind, lines):
    ready.clear("p1", intake.MODALITY_SPRAVATO, dose_mcg=84_000)
    ready.clear("p1", intake.MODALITY_TMS, dose_mcg=0)
    complete(ready, ready.book("p1", START, kind=kind).name)
    [event] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert [(line.procedure_code, line.units) for line in event.service_lines] == lines


def test_a_completed_visit_cannot_be_completed_or_cancelled_again(ready):
    booked = ready.book("p1", START)
    complete(ready, booked.name)
    again = visit_pb.CompleteAppointmentRequest(name=booked.name)
    for retry in (lambda: ready.visit_api.CompleteAppointment(again),
                  lambda: cancel(ready, booked.name)):
        with pytest.raises(grpc.RpcError) as refused:
            retry()
        assert reason(refused.value) == "INVALID_STATUS_TRANSITION"
    assert len(ready.events()) == 4  # booked, checked in, started, completed


def test_a_negative_dose_is_invalid(ready):
    booked = ready.book("p1", START)
    with pytest.raises(grpc.RpcError) as refused:
        complete(ready, booked.name, administered_dose_mcg=-1)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [e.event_type.rsplit(".", 1)[1] for e in ready.events()] == \
        ["AppointmentBooked", "AppointmentCheckedIn", "VisitStarted"]


def test_a_tms_session_reports_a_motor_threshold_re_determination(ready):
    ready.clear("p1", intake.MODALITY_TMS, dose_mcg=0)
    complete(ready, ready.book("p1", START, kind="TMS_SESSION").name,
             motor_threshold_redetermined=True)
    [event] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert event.HasField("motor_threshold_redetermined")
    assert event.motor_threshold_redetermined is True


def test_a_tms_session_without_a_re_determination_says_so(ready):
    ready.clear("p1", intake.MODALITY_TMS, dose_mcg=0)
    complete(ready, ready.book("p1", START, kind="TMS_SESSION").name)
    [event] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert (event.HasField("motor_threshold_redetermined"),
            event.motor_threshold_redetermined) == (True, False)
