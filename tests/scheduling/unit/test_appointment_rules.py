"""Appointments: overlap, late cancellation, the FHIR status machine, visit length."""

import datetime as dt

import pytest
from clinic_common.errors import FieldViolation
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import Appointment, Initiator, Status
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.domain.policy import is_late_cancellation, overlaps
from clinic_scheduling.domain.visit import Checklist

NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
START = dt.datetime(2027, 3, 3, 17, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)


def booked(start=START, minutes=90) -> Appointment:
    return Appointment.book(location_id="la-jolla", patient_id="p1",
                            appointment_type="IV_KETAMINE_INFUSION", start=start,
                            end=start + dt.timedelta(minutes=minutes),
                            service_date=start.date(), resource_ids=["chair-1"], now=NOW)


def test_intervals_overlap_only_when_they_share_time():
    h = dt.timedelta(hours=1)
    assert overlaps(START, START + h, START + h / 2, START + 2 * h)
    assert overlaps(START, START + 3 * h, START + h, START + 2 * h)
    assert not overlaps(START, START + h, START + h, START + 2 * h)  # back to back
    assert not overlaps(START + 2 * h, START + 3 * h, START, START + h)


@pytest.mark.parametrize("before_start, late", [
    (DAY + dt.timedelta(minutes=1), False), (DAY, False), (DAY - dt.timedelta(seconds=1), True),
    (dt.timedelta(0), True), (-dt.timedelta(hours=1), True)])
def test_a_cancellation_within_the_window_is_late(before_start, late):
    assert is_late_cancellation(START, START - before_start, DAY) is late


def test_the_late_cancel_window_is_a_parameter():
    assert is_late_cancellation(START, START - 30 * dt.timedelta(hours=1),
                                48 * dt.timedelta(hours=1))
    assert not is_late_cancellation(START, START - 30 * dt.timedelta(hours=1), DAY)


def test_cancelling_frees_the_resources_and_records_lateness():
    appointment = booked()
    appointment.cancel("patient_request", Initiator.PATIENT, START - dt.timedelta(hours=2), DAY)
    assert appointment.status == Status.CANCELLED
    assert appointment.late_cancellation is True
    assert [r.active for r in appointment.resources] == [False]


@pytest.mark.parametrize("initiator, fee_applies, late", [
    (Initiator.PATIENT, True, True), (Initiator.CLINIC, True, False),
    (Initiator.PATIENT, False, False), (Initiator.CLINIC, False, False)])
def test_only_a_patients_cancellation_of_a_type_with_a_fee_is_late(initiator, fee_applies, late):
    appointment = booked()
    appointment.cancel("changed_plans", initiator, START - dt.timedelta(hours=2), DAY,
                       fee_applies=fee_applies)
    assert (appointment.late_cancellation, appointment.cancelled_by) == (late, initiator)


def test_a_cancelled_appointment_cannot_be_cancelled_or_completed_again():
    appointment = booked()
    appointment.cancel("patient_request", Initiator.PATIENT, NOW, DAY)
    for change in (lambda: appointment.cancel("clinic_request", Initiator.CLINIC, NOW, DAY),
                   lambda: appointment.complete(START)):
        with pytest.raises(errors.InvalidStatusTransition):
            change()
    assert appointment.cancel_reason == "patient_request"


def test_a_cancellation_needs_a_reason_word():
    with pytest.raises(FieldViolation):
        booked().cancel("Patient asked!", Initiator.PATIENT, NOW, DAY)


def test_a_no_show_is_recorded_only_once_the_visit_should_have_started():
    appointment = booked()
    with pytest.raises(errors.AppointmentNotStarted):
        appointment.mark_no_show(START - dt.timedelta(minutes=1))
    appointment.mark_no_show(START + dt.timedelta(minutes=20))
    assert appointment.status == Status.NOSHOW
    assert [r.active for r in appointment.resources] == [False]


def checked_in() -> Appointment:
    appointment = booked()
    appointment.check_in(START - dt.timedelta(minutes=10), Checklist(True, True))
    return appointment


def test_a_visit_is_completed_only_once_it_started():
    appointment = checked_in()
    with pytest.raises(errors.VisitNotStarted) as early:
        appointment.complete(START - dt.timedelta(seconds=1))
    assert early.value.reason == "VISIT_NOT_STARTED"
    appointment.complete(START)
    assert appointment.status == Status.FULFILLED


def test_a_completed_visit_keeps_holding_its_slot():
    appointment = checked_in()
    appointment.complete(START + dt.timedelta(hours=2), "dr-1")
    assert appointment.status == Status.FULFILLED
    assert [r.active for r in appointment.resources] == [True]
    with pytest.raises(errors.InvalidStatusTransition):
        appointment.mark_no_show(START + dt.timedelta(hours=3))


def test_a_visit_cannot_be_booked_in_the_past():
    with pytest.raises(errors.StartInPast):
        booked(start=NOW - dt.timedelta(minutes=1))


def test_a_visit_lasts_its_type_length_unless_a_longer_end_is_asked():
    infusion = AppointmentType(code="IV_KETAMINE_INFUSION", display_name="IV",
                               duration_minutes=90, observation_minutes=45)
    assert infusion.slot(START, None) == (START, START + dt.timedelta(minutes=90))
    assert infusion.slot(START, START + dt.timedelta(hours=4))[1] == START + dt.timedelta(hours=4)
    with pytest.raises(FieldViolation) as short:
        infusion.slot(START, START + dt.timedelta(minutes=60))
    assert short.value.reason == "DURATION_TOO_SHORT"


def test_a_reschedule_keeps_the_id_counts_the_revision_and_moves_the_resources():
    appointment = booked()
    later = START + DAY
    appointment.reschedule(later, later + dt.timedelta(minutes=90), later.date(),
                           ["chair-2"], NOW)
    assert (appointment.revision, appointment.start_time) == (1, later)
    [entry] = appointment.history
    assert (entry.revision, entry.start_time, entry.resource_ids) == (0, START, ["chair-1"])
    assert [(r.resource_id, r.start_time) for r in appointment.resources] == \
        [("chair-2", later)]


def test_only_a_booked_appointment_may_be_rescheduled_and_never_into_the_past():
    appointment = booked()
    with pytest.raises(errors.StartInPast):
        appointment.reschedule(NOW - DAY, NOW, NOW.date(), ["chair-1"], NOW)
    appointment.cancel("patient_request", Initiator.PATIENT, NOW, DAY)
    with pytest.raises(errors.InvalidStatusTransition):
        appointment.reschedule(START + DAY, START + DAY + DAY, START.date(), [], NOW)


def test_a_type_whose_length_comes_from_the_plan_adds_its_observation():
    pain = AppointmentType("PAIN_KETAMINE_INFUSION", "Pain infusion", 85, 45,
                           duration_from_plan=True)
    assert pain.length(240) == dt.timedelta(minutes=285)
    assert pain.length(0) == dt.timedelta(minutes=85)
    assert pain.slot(START, None, 40) == (START, START + dt.timedelta(minutes=85))
    fixed = AppointmentType("IV_KETAMINE_INFUSION", "IV ketamine", 90, 45)
    assert fixed.length(240) == dt.timedelta(minutes=90)
    with pytest.raises(FieldViolation) as short:
        pain.slot(START, START + dt.timedelta(minutes=100), 120)
    assert short.value.reason == "DURATION_TOO_SHORT"
