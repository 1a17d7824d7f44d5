"""Booking over a real gRPC socket, on SQLite and PostgreSQL: every rule and its refusal."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import appointment_pb2, location_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import events_pb2 as scheduling_events
from clinic_common.identity import Role
from clinic_common.protoconv import utc
from clinic_devtools.testing import auth
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.scheduling.helpers import PACIFIC, reason

PATIENT = appointment_pb2.CANCELLATION_INITIATOR_PATIENT
TUESDAY_9 = dt.datetime(2027, 3, 2, 9, 0, tzinfo=PACIFIC)


@pytest.fixture
def ready(scheduling):
    scheduling.create_location()
    scheduling.create_location("temecula", display_name="Temecula", certifications=[])
    for patient_id in ("p1", "p2", "p3"):
        scheduling.register(patient_id)
        scheduling.clear(patient_id)  # for IV ketamine, the type booked unless told
    return scheduling


def refused_with(call, code, expected_reason):
    with pytest.raises(grpc.RpcError) as refused:
        call()
    assert (refused.value.code(), reason(refused.value)) == (code, expected_reason), \
        refused.value.details()


def nothing_booked(scheduling):
    assert scheduling.appointments() == []
    assert scheduling.events() == []


def test_a_booking_is_stored_and_announced_keyed_by_patient(ready):
    booked = ready.book("p1", TUESDAY_9)
    assert booked.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED
    assert list(booked.resource_ids) == ["chair-1"]
    assert utc(booked.end_time.ToDatetime()) - utc(booked.start_time.ToDatetime()) == \
        dt.timedelta(minutes=90)
    assert (booked.service_date.year, booked.service_date.month, booked.service_date.day) == \
        (2027, 3, 2)
    fetched = ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=booked.name)).appointment
    assert fetched == booked
    [event] = ready.events()
    assert (event.event_type, event.partition_key) == \
        ("clinic.scheduling.v1.AppointmentBooked", "p1")
    message = scheduling_events.AppointmentBooked.FromString(event.payload)
    assert (message.appointment_id, message.location_id, message.appointment_type) == \
        (booked.appointment_id, "la-jolla", "IV_KETAMINE_INFUSION")


def test_an_unknown_patient_is_a_failed_precondition_and_books_nothing(ready):
    refused_with(lambda: ready.book("stranger", TUESDAY_9), grpc.StatusCode.FAILED_PRECONDITION,
                 "PATIENT_UNKNOWN")
    nothing_booked(ready)


def test_an_unknown_location_is_a_failed_precondition_and_books_nothing(ready):
    refused_with(lambda: ready.book("p1", TUESDAY_9, location_id="oceanside"),
                 grpc.StatusCode.FAILED_PRECONDITION, "LOCATION_UNKNOWN")
    nothing_booked(ready)


@pytest.mark.parametrize("start, expected", [
    (dt.datetime(2027, 3, 2, 7, 0, tzinfo=PACIFIC), "OUTSIDE_OPENING_HOURS"),
    (dt.datetime(2027, 3, 2, 18, 0, tzinfo=PACIFIC), "OUTSIDE_OPENING_HOURS"),  # ends 19:30
    (dt.datetime(2027, 3, 6, 10, 0, tzinfo=PACIFIC), "OUTSIDE_OPENING_HOURS"),  # Saturday
])
def test_a_visit_outside_the_location_hours_is_refused(ready, start, expected):
    refused_with(lambda: ready.book("p1", start), grpc.StatusCode.FAILED_PRECONDITION, expected)
    nothing_booked(ready)


def test_a_visit_on_a_closure_day_is_refused(scheduling):
    closure = location_pb2.Closure(reason="Staff training")
    closure.date.year, closure.date.month, closure.date.day = 2027, 3, 2
    scheduling.create_location(closures=[closure])
    scheduling.register("p1")
    scheduling.clear("p1")
    refused_with(lambda: scheduling.book("p1", TUESDAY_9), grpc.StatusCode.FAILED_PRECONDITION,
                 "LOCATION_CLOSED_ON_DATE")
    nothing_booked(scheduling)


def test_spravato_is_booked_only_at_a_rems_certified_location(ready):
    ready.clear("p1", intake.MODALITY_SPRAVATO, dose_mcg=56_000)
    refused_with(lambda: ready.book("p1", TUESDAY_9, kind="SPRAVATO_SESSION",
                                    location_id="temecula"),
                 grpc.StatusCode.FAILED_PRECONDITION, "LOCATION_NOT_CERTIFIED")
    nothing_booked(ready)
    booked = ready.book("p1", TUESDAY_9, kind="SPRAVATO_SESSION")
    assert list(booked.resource_ids) == ["room-1"]
    assert booked.end_time.seconds - booked.start_time.seconds >= 2 * 3600


def test_the_same_patient_cannot_be_in_two_overlapping_visits(ready):
    ready.book("p1", TUESDAY_9)
    refused_with(lambda: ready.book("p1", TUESDAY_9 + dt.timedelta(minutes=30),
                                    kind="FOLLOW_UP", location_id="temecula"),
                 grpc.StatusCode.FAILED_PRECONDITION, "PATIENT_ALREADY_BOOKED")
    assert len(ready.appointments()) == 1
    assert len(ready.events()) == 1


def test_a_requested_chair_cannot_be_booked_twice_but_another_chair_is_picked(ready):
    ready.book("p1", TUESDAY_9, resource_ids=["chair-1"])
    refused_with(lambda: ready.book("p2", TUESDAY_9, resource_ids=["chair-1"]),
                 grpc.StatusCode.FAILED_PRECONDITION, "RESOURCE_ALREADY_BOOKED")
    assert list(ready.book("p2", TUESDAY_9).resource_ids) == ["chair-2"]
    refused_with(lambda: ready.book("p3", TUESDAY_9), grpc.StatusCode.FAILED_PRECONDITION,
                 "NO_RESOURCE_AVAILABLE")
    assert len(ready.appointments()) == 2


def test_back_to_back_visits_share_a_chair(ready):
    first = ready.book("p1", TUESDAY_9, resource_ids=["chair-1"])
    second = ready.book("p2", TUESDAY_9 + dt.timedelta(minutes=90), resource_ids=["chair-1"])
    assert first.end_time == second.start_time


@pytest.mark.parametrize("change, field, expected", [
    ({"appointment_type": "MASSAGE"}, "appointment.appointment_type", "APPOINTMENT_TYPE_UNKNOWN"),
    ({"resource_ids": ["chair-9"]}, "appointment.resource_ids", "RESOURCE_UNKNOWN"),
    ({"end_minutes": 30}, "appointment.end_time", "DURATION_TOO_SHORT"),
    ({"patient_id": ""}, "appointment.patient_id", "INVALID_FIELD"),
])
def test_malformed_bookings_are_invalid_and_book_nothing(ready, change, field, expected):
    change = dict(change)
    end = TUESDAY_9 + dt.timedelta(minutes=change.pop("end_minutes")) \
        if "end_minutes" in change else None
    kwargs = {"kind": change.pop("appointment_type", "IV_KETAMINE_INFUSION"),
              "resource_ids": change.pop("resource_ids", ()), "end": end}
    patient_id = change.pop("patient_id", "p1")
    with pytest.raises(grpc.RpcError) as refused:
        ready.book(patient_id, TUESDAY_9, **kwargs)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason(refused.value) == expected and field in refused.value.details()
    nothing_booked(ready)


def test_a_missing_start_or_a_start_in_the_past_is_refused(ready):
    with pytest.raises(grpc.RpcError) as missing:
        ready.appointment_api.CreateAppointment(appt_pb.CreateAppointmentRequest(
            parent="locations/la-jolla", appointment=appointment_pb2.Appointment(
                patient_id="p1", appointment_type="FOLLOW_UP")))
    assert missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    ready.clock.advance(days=2)
    refused_with(lambda: ready.book("p1", TUESDAY_9), grpc.StatusCode.FAILED_PRECONDITION,
                 "START_IN_PAST")
    nothing_booked(ready)


def test_an_out_of_range_timestamp_is_invalid_not_an_internal_error(ready):
    for start in [{"seconds": 10**13}, {"seconds": 1_804_006_800, "nanos": 2 * 10**9}]:
        with pytest.raises(grpc.RpcError) as refused:
            ready.appointment_api.CreateAppointment(appt_pb.CreateAppointmentRequest(
                parent="locations/la-jolla", appointment=appointment_pb2.Appointment(
                    patient_id="p1", appointment_type="FOLLOW_UP", start_time=start)))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "appointment.start_time" in refused.value.details()
    nothing_booked(ready)


def test_a_longer_visit_is_booked_when_asked(ready):
    booked = ready.book("p1", TUESDAY_9, end=TUESDAY_9 + dt.timedelta(hours=4))
    assert booked.end_time.seconds - booked.start_time.seconds == 4 * 3600


def test_a_retried_booking_with_the_same_request_id_books_once(ready):
    first = ready.book("p1", TUESDAY_9, request_id="book-1")
    again = ready.book("p1", TUESDAY_9, request_id="book-1")
    assert again == first
    assert len(ready.appointments()) == 1 and len(ready.events()) == 1


def test_an_unknown_appointment_is_not_found(ready):
    refused_with(lambda: ready.appointment_api.GetAppointment(appt_pb.GetAppointmentRequest(
        name="locations/la-jolla/appointments/nope")), grpc.StatusCode.NOT_FOUND,
        "APPOINTMENT_NOT_FOUND")
    booked = ready.book("p1", TUESDAY_9)
    refused_with(lambda: ready.appointment_api.GetAppointment(appt_pb.GetAppointmentRequest(
        name=f"locations/temecula/appointments/{booked.appointment_id}")),
        grpc.StatusCode.NOT_FOUND, "APPOINTMENT_NOT_FOUND")


def test_appointments_are_listed_by_start_and_filtered(ready):
    day = dt.timedelta(days=1)
    a = ready.book("p1", TUESDAY_9 + dt.timedelta(hours=2), kind="FOLLOW_UP")
    b = ready.book("p2", TUESDAY_9, kind="FOLLOW_UP", location_id="temecula")
    c = ready.book("p1", TUESDAY_9 + day, kind="FOLLOW_UP")
    d = ready.book("p3", TUESDAY_9 + 2 * day, kind="FOLLOW_UP")
    ids = lambda found: [x.appointment_id for x in found]  # noqa: E731
    assert ids(ready.appointments(page_size=1)) == ids([b, a, c, d])
    assert ids(ready.appointments(parent="locations/la-jolla")) == ids([a, c, d])
    assert ids(ready.appointments(patient_id="p1")) == ids([a, c])
    wednesday = {"year": 2027, "month": 3, "day": 3}
    assert ids(ready.appointments(start_date=wednesday)) == ids([c, d])
    assert ids(ready.appointments(end_date=wednesday, parent="locations/la-jolla",
                                  page_size=1)) == ids([a, c])


def test_a_bad_list_parent_or_page_token_is_invalid(ready):
    for request in [appt_pb.ListAppointmentsRequest(parent="clinics/x"),
                    appt_pb.ListAppointmentsRequest(parent="locations/-", page_token="bm9wZQ==")]:
        with pytest.raises(grpc.RpcError) as refused:
            ready.appointment_api.ListAppointments(request)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_staff_act_only_at_the_locations_in_their_token(ready):
    """A nurse at La Jolla sees and changes La Jolla's visits; Temecula's are refused, and a
    list over every location shows hers only. Billing spans every location."""
    la_jolla = ready.book("p1", TUESDAY_9 + dt.timedelta(hours=2), kind="FOLLOW_UP")
    temecula = ready.book("p2", TUESDAY_9, kind="FOLLOW_UP", location_id="temecula")
    nurse = auth.metadata(Role.NURSE, sub="rn-ortiz", locations=("la-jolla",))
    assert ready.appointment_api.GetAppointment(appt_pb.GetAppointmentRequest(name=la_jolla.name),
                                     metadata=nurse).appointment.appointment_id == \
        la_jolla.appointment_id
    for call, request in [
            (ready.appointment_api.GetAppointment,
             appt_pb.GetAppointmentRequest(name=temecula.name)),
            (ready.appointment_api.CancelAppointment, appt_pb.CancelAppointmentRequest(
                name=temecula.name, reason="no", initiated_by=PATIENT)),
            (ready.appointment_api.ListAppointments,
             appt_pb.ListAppointmentsRequest(parent="locations/temecula")),
            (ready.appointment_api.CreateAppointment, appt_pb.CreateAppointmentRequest(
                parent="locations/temecula", appointment=appointment_pb2.Appointment(
                    patient_id="p3", appointment_type="FOLLOW_UP")))]:
        refused_with(lambda c=call, r=request: c(r, metadata=nurse),
                     grpc.StatusCode.PERMISSION_DENIED, "LOCATION_NOT_ALLOWED")
    mine = ready.appointment_api.ListAppointments(
        appt_pb.ListAppointmentsRequest(parent="locations/-"), metadata=nurse).appointments
    assert [a.appointment_id for a in mine] == [la_jolla.appointment_id]
    billing = auth.metadata(Role.BILLING, sub="biller-1", locations=())
    everyone = ready.appointment_api.ListAppointments(
        appt_pb.ListAppointmentsRequest(parent="locations/-"), metadata=billing).appointments
    assert len(everyone) == 2
    assert ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=temecula.name),
        metadata=auth.metadata(Role.NURSE, sub="rn-x")
    ).appointment.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED


def wildcard(appointment) -> str:
    return f"locations/-/appointments/{appointment.appointment_id}"


def test_an_appointment_is_found_under_locations_dash_within_the_callers_locations(ready):
    la_jolla = ready.book("p1", TUESDAY_9, kind="FOLLOW_UP")
    temecula = ready.book("p2", TUESDAY_9, kind="FOLLOW_UP", location_id="temecula")
    nurse = auth.metadata(Role.NURSE, sub="rn-ortiz", locations=("la-jolla",))
    found = ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=wildcard(la_jolla)), metadata=nurse).appointment
    assert found.name == la_jolla.name
    refused_with(lambda: ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=wildcard(temecula)), metadata=nurse),
        grpc.StatusCode.NOT_FOUND, "APPOINTMENT_NOT_FOUND")
    refused_with(lambda: ready.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=wildcard(temecula), reason="no", initiated_by=PATIENT), metadata=nurse),
        grpc.StatusCode.NOT_FOUND, "APPOINTMENT_NOT_FOUND")
    cancelled = ready.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=wildcard(la_jolla), reason="patient_request", initiated_by=PATIENT),
        metadata=nurse).appointment
    assert (cancelled.name, cancelled.status) == \
        (la_jolla.name, appointment_pb2.APPOINTMENT_STATUS_CANCELLED)


def test_an_unknown_appointment_type_is_refused_naming_the_known_ones(ready):
    with pytest.raises(grpc.RpcError) as refused:
        ready.book("p1", TUESDAY_9, kind="REIKI")
    assert reason(refused.value) == "APPOINTMENT_TYPE_UNKNOWN"
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "IV_KETAMINE_INFUSION" in refused.value.details()
    assert "TMS_SESSION" in refused.value.details()


def test_a_refusal_that_may_be_intake_lag_carries_a_retry_delay(ready):
    for attempt in (lambda: ready.book("stranger", TUESDAY_9),
                    lambda: ready.book("p1", TUESDAY_9, kind="TMS_SESSION")):
        with pytest.raises(grpc.RpcError) as refused:
            attempt()
        [retry] = [d for d in rpc_status.from_call(refused.value).details
                   if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
        info = error_details_pb2.RetryInfo()
        retry.Unpack(info)
        assert 0 < info.retry_delay.ToTimedelta().total_seconds() <= 10


def test_a_refusal_that_waiting_cannot_fix_carries_no_retry_delay(ready):
    with pytest.raises(grpc.RpcError) as refused:
        ready.book("p1", TUESDAY_9 - dt.timedelta(days=30))
    assert reason(refused.value) == "START_IN_PAST"
    assert not [d for d in rpc_status.from_call(refused.value).details
                if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]


def test_a_resource_of_the_wrong_kind_is_refused_naming_the_kinds_the_type_needs(ready):
    refused_with(lambda: ready.book("p1", TUESDAY_9, resource_ids=["tms-1"]),
                 grpc.StatusCode.INVALID_ARGUMENT, "RESOURCE_KIND_MISMATCH")
    with pytest.raises(grpc.RpcError) as refused:
        ready.book("p1", TUESDAY_9, resource_ids=["tms-1"])
    assert "INFUSION_CHAIR" in refused.value.details()
    nothing_booked(ready)


def reschedule(scheduling, name, start, **fields):
    request = appt_pb.RescheduleAppointmentRequest(name=name, **fields)
    request.start_time.FromDatetime(start.astimezone(dt.UTC))
    return scheduling.appointment_api.RescheduleAppointment(request).appointment


def test_a_rescheduled_appointment_keeps_its_name_and_remembers_its_old_time(ready):
    booked = ready.book("p1", TUESDAY_9, resource_ids=["chair-2"])
    later = TUESDAY_9 + dt.timedelta(days=1, hours=2)
    moved = reschedule(ready, booked.name, later, request_id="r-1")
    assert (moved.name, moved.revision, list(moved.resource_ids)) == \
        (booked.name, 1, ["chair-2"])
    assert utc(moved.start_time.ToDatetime()) == later.astimezone(dt.UTC)
    assert (moved.service_date.month, moved.service_date.day) == (3, 3)
    [entry] = moved.history
    assert (entry.revision, entry.start_time, list(entry.resource_ids)) == \
        (0, booked.start_time, ["chair-2"])
    assert reschedule(ready, booked.name, later, request_id="r-1") == moved  # a retry
    events = [e for e in ready.events()
              if e.event_type == "clinic.scheduling.v1.AppointmentRescheduled"]
    assert len(events) == 1
    event = scheduling_events.AppointmentRescheduled.FromString(events[0].payload)
    assert (event.appointment_id, event.previous_start_time, event.revision) == \
        (booked.appointment_id, booked.start_time, 1)
    # The old slot is free again; the new one is taken.
    assert ready.book("p2", TUESDAY_9, resource_ids=["chair-2"]).resource_ids == ["chair-2"]
    refused_with(lambda: ready.book("p3", later, resource_ids=["chair-2"]),
                 grpc.StatusCode.FAILED_PRECONDITION, "RESOURCE_ALREADY_BOOKED")


def test_a_small_move_overlapping_its_own_slot_is_not_a_conflict(ready):
    booked = ready.book("p1", TUESDAY_9)
    moved = reschedule(ready, booked.name, TUESDAY_9 + dt.timedelta(minutes=30))
    assert (moved.revision, list(moved.resource_ids)) == (1, list(booked.resource_ids))


def test_a_reschedule_passes_the_booking_checks(ready):
    booked = ready.book("p1", TUESDAY_9, resource_ids=["chair-1"])
    ready.book("p2", TUESDAY_9 + dt.timedelta(days=1), resource_ids=["chair-1"])
    ready.book("p1", TUESDAY_9 + dt.timedelta(days=2))
    refused_with(lambda: reschedule(ready, booked.name, TUESDAY_9 + dt.timedelta(days=1),
                                    resource_ids=["chair-1"]),
                 grpc.StatusCode.FAILED_PRECONDITION, "RESOURCE_ALREADY_BOOKED")
    refused_with(lambda: reschedule(ready, booked.name, TUESDAY_9 + dt.timedelta(days=2)),
                 grpc.StatusCode.FAILED_PRECONDITION, "PATIENT_ALREADY_BOOKED")
    refused_with(lambda: reschedule(ready, booked.name, TUESDAY_9.replace(hour=23)),
                 grpc.StatusCode.FAILED_PRECONDITION, "OUTSIDE_OPENING_HOURS")
    refused_with(lambda: reschedule(ready, booked.name, TUESDAY_9 - dt.timedelta(days=3)),
                 grpc.StatusCode.FAILED_PRECONDITION, "START_IN_PAST")
    refused_with(lambda: reschedule(ready, booked.name, TUESDAY_9, resource_ids=["tms-1"]),
                 grpc.StatusCode.INVALID_ARGUMENT, "RESOURCE_KIND_MISMATCH")
    unchanged = ready.appointment_api.GetAppointment(
        appt_pb.GetAppointmentRequest(name=booked.name)).appointment
    assert (unchanged.revision, unchanged.start_time) == (0, booked.start_time)


def test_a_cancelled_appointment_cannot_be_rescheduled(ready):
    booked = ready.book("p1", TUESDAY_9)
    ready.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=booked.name, reason="patient_request", initiated_by=PATIENT))
    refused_with(lambda: reschedule(ready, booked.name, TUESDAY_9 + dt.timedelta(days=1)),
                 grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATUS_TRANSITION")


def minutes(appointment) -> int:
    return int((appointment.end_time.ToDatetime() - appointment.start_time.ToDatetime())
               .total_seconds() // 60)


def test_a_pain_infusion_lasts_as_long_as_the_plan_says_plus_recovery(ready):
    ready.start_plan("p2", duration_minutes=180)  # a newer plan: a 3 h CRPS protocol
    booked = ready.book("p2", TUESDAY_9, kind="PAIN_KETAMINE_INFUSION")
    assert (minutes(booked), list(booked.resource_ids)) == (225, ["chair-1"])
    refused_with(lambda: ready.book("p3", TUESDAY_9 + dt.timedelta(hours=2),
                                    kind="PAIN_KETAMINE_INFUSION", resource_ids=["chair-1"]),
                 grpc.StatusCode.FAILED_PRECONDITION, "RESOURCE_ALREADY_BOOKED")


def test_a_pain_infusion_without_a_plan_length_takes_the_types_default(ready):
    assert minutes(ready.book("p1", TUESDAY_9, kind="PAIN_KETAMINE_INFUSION")) == 85


def test_the_first_tms_session_is_a_longer_mapping_visit_on_a_tms_device(ready):
    ready.clear("p1", intake.MODALITY_TMS)
    booked = ready.book("p1", TUESDAY_9, kind="TMS_MAPPING")
    assert (minutes(booked), list(booked.resource_ids)) == (90, ["tms-1"])


def test_a_type_the_location_does_not_list_is_refused_naming_the_ones_it_books(scheduling):
    scheduling.create_location("temecula", display_name="Temecula", certifications=[],
                               appointment_types=["FOLLOW_UP", "IV_KETAMINE_INFUSION"])
    scheduling.register("p1")
    scheduling.clear("p1", intake.MODALITY_TMS)
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p1", TUESDAY_9, kind="TMS_SESSION", location_id="temecula")
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "APPOINTMENT_TYPE_NOT_OFFERED")
    assert "FOLLOW_UP, IV_KETAMINE_INFUSION" in refused.value.details()
    assert scheduling.book("p1", TUESDAY_9, kind="FOLLOW_UP", location_id="temecula")


def test_a_location_cannot_list_a_type_that_does_not_exist(scheduling):
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.create_location(appointment_types=["FOLLOW_UP", "REIKI"])
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "APPOINTMENT_TYPE_UNKNOWN")
    assert "TMS_SESSION" in refused.value.details()
