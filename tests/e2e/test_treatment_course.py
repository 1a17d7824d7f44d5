"""A whole IV ketamine course across the three services, as processes on PostgreSQL and the
broker: intake clears a patient and plans six infusions 48 hours apart; scheduling books the
whole course in one BookSeries call, at La Jolla where it can and at Encinitas on the days La
Jolla is closed; one session is rebooked within the spacing; one visit runs from check-in to
discharge; and billing charges it at the dose the nurse gave, not the plan's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import grpc
import pytest
from clinic.common.v1 import types_pb2
from clinic.intake.v1 import (
    events_pb2,
    treatment_plan_pb2,
    treatment_plan_service_pb2,
)
from clinic.scheduling.v1 import appointment_pb2, location_pb2, series_service_pb2_grpc
from clinic.scheduling.v1 import location_service_pb2 as loc_pb
from clinic.scheduling.v1 import series_service_pb2 as series_pb
from clinic.scheduling.v1 import visit_service_pb2 as visit_pb
from clinic_common.identity import Role
from clinic_common.protoconv import timestamp
from clinic_devtools.testing import auth
from google.protobuf import field_mask_pb2

from tests.e2e.conftest import eventually
from tests.e2e.test_patient_journey import (
    PROVIDER,
    Intake,
    clear_for_ketamine,
    prepare_for_ketamine,
    reason,
    run_infusion,
)

pytestmark = pytest.mark.e2e

PACIFIC = ZoneInfo("America/Los_Angeles")
OPS = auth.metadata(Role.OPS, sub="ops-1")
DESK = auth.metadata(Role.FRONT_DESK, sub="desk-1", locations=("la-jolla", "encinitas"))
SESSIONS, SPACING_HOURS = 6, 48
MON_WED_FRI = (1, 3, 5)


def course_days(first: dt.date, closed: frozenset) -> list[dt.date]:
    """The days the course falls on at 09:00: each the first Monday, Wednesday or Friday
    that is not a closure, at least two days after the one before."""
    days: list[dt.date] = []
    day = first
    while len(days) < SESSIONS:
        if day.isoweekday() in MON_WED_FRI and day not in closed:
            days.append(day)
            day += dt.timedelta(days=2)
        else:
            day += dt.timedelta(days=1)
    return days


def close_on(stack, location_id: str, days: list[dt.date]) -> None:
    """Ops adds closures (a staff training day) to the location, keeping its others."""
    location = stack.locations.GetLocation(
        loc_pb.GetLocationRequest(name=f"locations/{location_id}")).location
    closures = list(location.closures) + [
        location_pb2.Closure(date=types_pb2.Date(year=d.year, month=d.month, day=d.day),
                             reason="Staff training") for d in days]
    update = location_pb2.Location(name=location.name, closures=closures)
    stack.locations.UpdateLocation(loc_pb.UpdateLocationRequest(
        location=update, update_mask=field_mask_pb2.FieldMask(paths=["closures"])),
        metadata=OPS)


def six_infusion_plan(intake: Intake, parent: str) -> treatment_plan_pb2.TreatmentPlan:
    return intake.plans.CreateTreatmentPlan(treatment_plan_service_pb2.CreateTreatmentPlanRequest(
        parent=parent, plan=treatment_plan_pb2.TreatmentPlan(
            modality=events_pb2.MODALITY_IV_KETAMINE, indication_code="F33.2",
            series=treatment_plan_pb2.Series(sessions=SESSIONS, min_spacing_hours=SPACING_HOURS,
                                             window_days=28))),
        metadata=PROVIDER).plan


def gaps(starts: list[dt.datetime]) -> list[dt.timedelta]:
    return [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]


def local(appointment) -> dt.datetime:
    return appointment.start_time.ToDatetime(dt.UTC).astimezone(PACIFIC)


def test_a_cleared_patients_course_is_booked_across_locations_rebooked_given_and_billed(stack):
    stack.apply_locations()
    intake = Intake(stack)
    patient = stack.register_patient(preferred_location_id="la-jolla")
    patient_id = patient.patient_id
    prepare_for_ketamine(intake, patient.name)
    clear_for_ketamine(intake, patient.name)
    plan = six_infusion_plan(intake, patient.name)
    assert (plan.series.sessions, plan.series.min_spacing_hours) == (SESSIONS, SPACING_HOURS)
    assert plan.dose.dose_mcg == 35_650  # 0.5 mg/kg of 71.3 kg

    # Where the course will fall, and La Jolla closed on its second and fourth days: the
    # patient prefers La Jolla, so those two sessions go to Encinitas, open then.
    first = dt.datetime.now(PACIFIC).date() + dt.timedelta(days=1)
    closed = stack.closures("la-jolla") | stack.closures("encinitas")
    days = course_days(first, closed)
    close_on(stack, "la-jolla", [days[1], days[3]])

    series_api = series_service_pb2_grpc.SeriesServiceStub(stack.channels["scheduling"])
    request = series_pb.BookSeriesRequest(
        parent=f"patients/{patient_id}", appointment_type="IV_KETAMINE_INFUSION",
        request_id=f"course-{patient_id}",
        preferences=series_pb.SeriesPreferences(
            weekdays=list(MON_WED_FRI), location_ids=["la-jolla", "encinitas"],
            earliest_start_time=location_pb2.TimeOfDay(hours=9),
            latest_start_time=location_pb2.TimeOfDay(hours=9),
            start_date=types_pb2.Date(year=first.year, month=first.month, day=first.day)))
    # One call books the course, once scheduling has seen the clearance and the plan.
    series = eventually(lambda: series_api.BookSeries(request, metadata=DESK).series)
    sessions = list(series.appointments)
    assert len(sessions) == SESSIONS and series.booked_count == SESSIONS
    assert [(local(a).date(), local(a).time(), a.location_id) for a in sessions] == [
        (d, dt.time(9), "encinitas" if i in (1, 3) else "la-jolla") for i, d in enumerate(days)]
    assert {a.location_id for a in sessions} == {"la-jolla", "encinitas"}
    assert {a.series_id for a in sessions} == {series.series_id}
    assert min(gaps([a.start_time.ToDatetime() for a in sessions])) >= \
        dt.timedelta(hours=SPACING_HOURS)
    # Every session holds an infusion chair and the RN who watches it.
    assert all(a.resource_ids and a.resource_ids[0].startswith("infusion-") for a in sessions)
    assert all([s.role for s in a.staff] == ["RN"] for a in sessions)
    # A retry of the same call returns the same course and books nothing more.
    assert series_api.BookSeries(request, metadata=DESK).series.series_id == series.series_id

    # Rebooking: the second session cannot move to the first one's afternoon (5 hours
    # after it, under the plan's 48), and the last one moves to the next time that keeps
    # the spacing from the one before it.
    second, fifth, last = sessions[1], sessions[4], sessions[5]
    too_close = dt.datetime.combine(days[0], dt.time(14), PACIFIC)
    with pytest.raises(grpc.RpcError) as refused:
        series_api.RebookSeriesSession(series_pb.RebookSeriesSessionRequest(
            name=second.name, start_time=timestamp(too_close)), metadata=DESK)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "SPACING_TOO_SHORT")
    assert sessions[0].appointment_id in refused.value.details()
    moved = series_api.RebookSeriesSession(series_pb.RebookSeriesSessionRequest(
        name=last.name, next_available=True, request_id=f"rebook-{last.appointment_id}"),
        metadata=DESK).appointment
    assert (moved.appointment_id, moved.location_id, moved.revision) == \
        (last.appointment_id, last.location_id, 1)
    assert moved.start_time.ToDatetime() > last.start_time.ToDatetime()
    assert moved.start_time.ToDatetime() - fifth.start_time.ToDatetime() >= \
        dt.timedelta(hours=SPACING_HOURS)
    course = series_api.GetSeries(series_pb.GetSeriesRequest(name=series.name),
                                  metadata=DESK).series
    starts = [a.start_time.ToDatetime() for a in course.appointments]
    assert starts == sorted(starts) and len(starts) == SESSIONS
    assert min(gaps(starts)) >= dt.timedelta(hours=SPACING_HOURS)
    assert [a.start_time for a in course.appointments][:5] == \
        [a.start_time for a in sessions[:5]]

    # The second session's visit day at Encinitas: the nurse gives 37.5 mg (the plan says
    # 35.65 mg) from lot K-2027-01, vitals twice, discharge to the escort.
    start = second.start_time.ToDatetime(dt.UTC)
    run_infusion(stack, second.name, start, dose_given_mg="37.5")
    with stack.scheduling_time(start + dt.timedelta(minutes=80)):
        done = stack.visits.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
            name=second.name, rendering_provider_id="dr-lee")).appointment
    assert (done.status, done.location_id, done.visit.drug, done.visit.dose_given_mcg,
            done.visit.lot_number, done.visit.escort_recorded, len(done.visit.vitals)) == \
        (appointment_pb2.APPOINTMENT_STATUS_FULFILLED, "encinitas", "ketamine", 37_500,
         "K-2027-01", True, 2)
    progress = series_api.GetSeries(series_pb.GetSeriesRequest(name=series.name),
                                     metadata=DESK).series
    assert (progress.booked_count, progress.completed_count) == (SESSIONS - 1, 1)

    # Billing learns of the completed visit from scheduling's event: J3490 in whole mg of the
    # dose given (37.5 rounded half up: 38, not the plan's 36), and the infusion itself.
    charges = eventually(lambda: [c for c in stack.charges(patient_id)
                                  if c.appointment_id == second.appointment_id], timeout=60)
    assert sorted((c.procedure_code, c.units, list(c.diagnosis_codes)) for c in charges) == \
        [("96365", 1, ["F33.2"]), ("J3490", 38, ["F33.2"])]
    assert not [c for c in stack.charges(patient_id)
                if c.appointment_id != second.appointment_id]
