"""Treatment series over a real socket, on SQLite and PostgreSQL: the whole course booked
at once or not at all, its progress, rebooking a session within the spacing, and single
bookings held to the plan's spacing and number of sessions."""

import datetime as dt
from zoneinfo import ZoneInfo

import grpc
import pytest
from clinic.common.v1 import types_pb2
from clinic.scheduling.v1 import appointment_pb2, events_pb2, location_pb2, staff_pb2
from clinic.scheduling.v1 import location_service_pb2 as loc_pb
from clinic.scheduling.v1 import series_service_pb2 as pb
from clinic.scheduling.v1 import series_service_pb2_grpc as pb_grpc
from clinic_devtools.testing import auth

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import stamp
from tests.scheduling.integration.test_staff_assignment import add_staff

MONDAY = dt.date(2027, 3, 8)
ONE_CHAIR = [location_pb2.Resource(resource_id="chair-1", display_name="c",
                                   kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)]


def day(value: dt.date) -> types_pb2.Date:
    return types_pb2.Date(year=value.year, month=value.month, day=value.day)


def api(scheduling):
    return pb_grpc.SeriesServiceStub(auth.authorized(grpc.insecure_channel(scheduling.address)))


def ready(scheduling, patient="p1", sessions=3, spacing=48, window=14):
    scheduling.create_location(roster=False, resources=ONE_CHAIR)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    scheduling.register(patient)
    scheduling.decide(patient)
    from clinic.intake.v1 import events_pb2 as intake
    plan = intake.TreatmentPlanCreated(
        patient_id=patient, plan_id=f"plan-{patient}", version=1,
        modality=intake.MODALITY_IV_KETAMINE, indication_code="F33.2",
        series_sessions=sessions, min_spacing_hours=spacing, series_window_days=window,
        dose_mcg=35_000)
    assert scheduling.feed(plan, key=patient) == "handled"


def book_series(scheduling, patient="p1", **prefs):
    prefs.setdefault("start_date", day(MONDAY))
    return api(scheduling).BookSeries(pb.BookSeriesRequest(
        parent=f"patients/{patient}", appointment_type="IV_KETAMINE_INFUSION",
        preferences=pb.SeriesPreferences(**prefs))).series


def local(appointment) -> dt.datetime:
    return appointment.start_time.ToDatetime(dt.UTC).astimezone(PACIFIC).replace(tzinfo=None)


def test_the_whole_series_is_booked_at_once_with_the_plans_spacing(scheduling):
    ready(scheduling)
    series = book_series(scheduling, weekdays=[1, 3, 5],
                         earliest_start_time=location_pb2.TimeOfDay(hours=10))
    assert series.name == f"patients/p1/series/{series.series_id}"
    assert [local(a) for a in series.appointments] == [
        dt.datetime(2027, 3, 8, 10), dt.datetime(2027, 3, 10, 10), dt.datetime(2027, 3, 12, 10)]
    assert {a.series_id for a in series.appointments} == {series.series_id}
    assert (series.booked_count, series.completed_count, series.cancelled_count) == (3, 0, 0)
    events = [e for e in scheduling.events()]
    booked = [e for e in events if e.event_type.endswith("AppointmentBooked")]
    assert len(booked) == 3
    assert any(e.event_type.endswith("SeriesBooked") for e in events)
    got = api(scheduling).GetSeries(pb.GetSeriesRequest(name=series.name)).series
    assert got == series
    listed = api(scheduling).ListSeries(pb.ListSeriesRequest(parent="patients/p1")).series
    assert [s.series_id for s in listed] == [series.series_id]


def test_a_session_that_cannot_be_placed_books_nothing(scheduling):
    ready(scheduling, sessions=4, spacing=72, window=7)
    with pytest.raises(grpc.RpcError) as refused:
        book_series(scheduling)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "SERIES_DOES_NOT_FIT"
    assert "session 3 of 4" in refused.value.details()
    assert scheduling.appointments() == []


def test_single_bookings_keep_the_spacing_and_the_number_of_sessions(scheduling):
    ready(scheduling, sessions=2, spacing=48)
    scheduling.book("p1", dt.datetime(2027, 3, 8, 10, tzinfo=PACIFIC))
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p1", dt.datetime(2027, 3, 9, 10, tzinfo=PACIFIC))
    assert reason(refused.value) == "SPACING_TOO_SHORT"
    scheduling.book("p1", dt.datetime(2027, 3, 10, 10, tzinfo=PACIFIC))
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p1", dt.datetime(2027, 3, 15, 10, tzinfo=PACIFIC))
    assert reason(refused.value) == "SERIES_COMPLETE"
    with pytest.raises(grpc.RpcError) as refused:
        book_series(scheduling)
    assert reason(refused.value) == "SERIES_COMPLETE"


def test_rebooking_a_session_keeps_the_spacing_with_its_neighbours(scheduling):
    ready(scheduling)
    series = book_series(scheduling, earliest_start_time=location_pb2.TimeOfDay(hours=10),
                         latest_start_time=location_pb2.TimeOfDay(hours=10))
    first, middle, last = series.appointments
    stub = api(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        stub.RebookSeriesSession(pb.RebookSeriesSessionRequest(
            name=middle.name, start_time=stamp(dt.datetime(2027, 3, 11, 10, tzinfo=PACIFIC))))
    assert reason(refused.value) == "SPACING_TOO_SHORT"
    assert first.appointment_id in refused.value.details() \
        or last.appointment_id in refused.value.details()
    # Moving the last one later is fine; then "next available" puts the middle one at the
    # earliest time 48 hours from both.
    stub.RebookSeriesSession(pb.RebookSeriesSessionRequest(
        name=last.name, start_time=stamp(dt.datetime(2027, 3, 16, 10, tzinfo=PACIFIC))))
    moved = stub.RebookSeriesSession(pb.RebookSeriesSessionRequest(
        name=middle.name, next_available=True)).appointment
    # Its own time is taken (by itself): the next slot after it that suits the series'
    # preferences (10:00 only), still between its neighbours: Thursday at 10.
    assert local(moved) == dt.datetime(2027, 3, 11, 10)
    assert moved.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED
    with pytest.raises(grpc.RpcError) as refused:
        stub.RebookSeriesSession(pb.RebookSeriesSessionRequest(name=middle.name))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_unknown_series_is_not_found(scheduling):
    ready(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        api(scheduling).GetSeries(pb.GetSeriesRequest(name="patients/p1/series/nope"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason(refused.value) == "SERIES_NOT_FOUND"


_ = events_pb2


def test_a_repeated_request_returns_the_first_series(scheduling):
    ready(scheduling)
    request = pb.BookSeriesRequest(
        parent="patients/p1", appointment_type="IV_KETAMINE_INFUSION", request_id="series-1",
        preferences=pb.SeriesPreferences(start_date=day(MONDAY)))
    first = api(scheduling).BookSeries(request).series
    again = api(scheduling).BookSeries(request).series
    assert again.series_id == first.series_id
    assert len(scheduling.appointments()) == 3


def test_a_preferred_location_that_does_not_exist_is_refused_and_nothing_booked(scheduling):
    ready(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        book_series(scheduling, location_ids=["encinitas"])
    assert reason(refused.value) == "LOCATION_NOT_FOUND"
    with pytest.raises(grpc.RpcError) as refused:
        book_series(scheduling, weekdays=[9])
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert scheduling.appointments() == []


def test_a_single_booking_is_no_series_and_cannot_be_rebooked_as_one(scheduling):
    ready(scheduling)
    single = scheduling.book("p1", dt.datetime(2027, 3, 8, 10, tzinfo=PACIFIC))
    assert single.series_id == ""
    with pytest.raises(grpc.RpcError) as refused:
        api(scheduling).RebookSeriesSession(pb.RebookSeriesSessionRequest(
            name=single.name, next_available=True))
    assert reason(refused.value) == "NOT_IN_SERIES"
    assert api(scheduling).ListSeries(pb.ListSeriesRequest(parent="patients/p1")).series == []



def two_locations(scheduling, patient="p1", sessions=3):
    """La Jolla (preferred) and Encinitas, one chair and one RN each; the patient's plan."""
    ready(scheduling, patient, sessions=sessions, spacing=48, window=14)
    scheduling.create_location("encinitas", roster=False, display_name="Encinitas",
                               resources=ONE_CHAIR)
    add_staff(scheduling, "rn-grace", staff_pb2.STAFF_ROLE_RN, start=8, end=17,
              location_id="encinitas")


def close(scheduling, location_id, *days):
    scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
        location=location_pb2.Location(name=f"locations/{location_id}", closures=[
            location_pb2.Closure(date=day(d), reason="training") for d in days]),
        update_mask={"paths": ["closures"]}))


def at_ten(**prefs):
    return dict(weekdays=[1, 3, 5], earliest_start_time=location_pb2.TimeOfDay(hours=10),
                latest_start_time=location_pb2.TimeOfDay(hours=10), **prefs)


def test_a_series_spans_locations_where_the_preferred_one_is_closed_or_full(scheduling):
    two_locations(scheduling)
    # La Jolla is closed on Wednesday and its one chair is taken on Friday at 10.
    close(scheduling, "la-jolla", dt.date(2027, 3, 10))
    scheduling.register("p2")
    scheduling.clear("p2")
    other = scheduling.book("p2", dt.datetime(2027, 3, 12, 10, tzinfo=PACIFIC))
    series = book_series(scheduling, **at_ten(location_ids=["la-jolla", "encinitas"]))
    assert [(local(a), a.location_id) for a in series.appointments] == [
        (dt.datetime(2027, 3, 8, 10), "la-jolla"), (dt.datetime(2027, 3, 10, 10), "encinitas"),
        (dt.datetime(2027, 3, 12, 10), "encinitas")]
    assert [[s.staff_member_id for s in a.staff] for a in series.appointments] == \
        [["rn-ana"], ["rn-grace"], ["rn-grace"]]
    assert (other.location_id, list(other.resource_ids)) == ("la-jolla", ["chair-1"])
    assert series.booked_count == 3
    assert len(scheduling.appointments(parent="locations/encinitas")) == 2


def test_a_series_across_locations_is_all_or_nothing(scheduling):
    two_locations(scheduling, sessions=4)
    # La Jolla is open on the first Monday only, Encinitas on the first Monday and
    # Wednesday: the third session fits nowhere in the window, so nothing is booked at
    # either location.
    close(scheduling, "la-jolla", *(dt.date(2027, 3, d) for d in (10, 12, 15, 17, 19)))
    close(scheduling, "encinitas", *(dt.date(2027, 3, d) for d in (12, 15, 17, 19)))
    for prefs in (at_ten(location_ids=["la-jolla", "encinitas"]), at_ten()):
        with pytest.raises(grpc.RpcError) as refused:
            book_series(scheduling, **prefs)
        assert reason(refused.value) == "SERIES_DOES_NOT_FIT"
        assert "session 3 of 4" in refused.value.details()
        assert scheduling.appointments() == []
    # Encinitas opens that Friday and the Monday after: the course fits across both.
    close(scheduling, "encinitas", dt.date(2027, 3, 17), dt.date(2027, 3, 19))
    series = book_series(scheduling, **at_ten(location_ids=["la-jolla", "encinitas"]))
    assert [(local(a).day, a.location_id) for a in series.appointments] == [
        (8, "la-jolla"), (10, "encinitas"), (12, "encinitas"), (15, "encinitas")]


def test_a_series_keeps_its_preferences_for_the_front_desk_and_next_available(scheduling):
    two_locations(scheduling)
    prefs = at_ten(location_ids=["encinitas", "la-jolla"])
    series = book_series(scheduling, **prefs)
    shown = series.preferences
    assert (list(shown.weekdays), list(shown.location_ids)) == ([1, 3, 5],
                                                                ["encinitas", "la-jolla"])
    assert (shown.earliest_start_time.hours, shown.latest_start_time.hours) == (10, 10)
    assert (shown.start_date.year, shown.start_date.month, shown.start_date.day) == (2027, 3, 8)
    assert api(scheduling).GetSeries(pb.GetSeriesRequest(name=series.name)).series == series
    [listed] = api(scheduling).ListSeries(pb.ListSeriesRequest(parent="patients/p1")).series
    assert listed.preferences == shown
    # Mon, Wed, Fri at 10 at Encinitas; "next available" for the last keeps to Mondays,
    # Wednesdays and Fridays at 10: not 10:15 on Friday, but Monday at 10 (daylight time
    # by then).
    first, middle, last = series.appointments
    assert [local(a) for a in series.appointments] == [
        dt.datetime(2027, 3, 8, 10), dt.datetime(2027, 3, 10, 10), dt.datetime(2027, 3, 12, 10)]
    moved = api(scheduling).RebookSeriesSession(pb.RebookSeriesSessionRequest(
        name=last.name, next_available=True)).appointment
    assert moved.start_time.ToDatetime(dt.UTC) == dt.datetime(
        2027, 3, 15, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert moved.location_id == last.location_id == "encinitas"


def test_a_series_without_preferences_given_keeps_them_empty(scheduling):
    ready(scheduling)
    series = book_series(scheduling)
    assert series.HasField("preferences")
    assert (list(series.preferences.weekdays), list(series.preferences.location_ids)) == ([], [])
    assert not series.preferences.HasField("earliest_start_time")


def test_a_merged_patients_series_keeps_its_preferences_under_the_survivor(scheduling):
    from clinic.intake.v1 import events_pb2 as intake

    ready(scheduling)
    series = book_series(scheduling, **at_ten())
    scheduling.register("p9")
    assert scheduling.feed(intake.PatientMerged(surviving_patient_id="p9",
                                                merged_patient_id="p1")) == "handled"
    moved = api(scheduling).GetSeries(pb.GetSeriesRequest(
        name=f"patients/p9/series/{series.series_id}")).series
    assert moved.preferences == series.preferences
    assert len(moved.appointments) == 3
