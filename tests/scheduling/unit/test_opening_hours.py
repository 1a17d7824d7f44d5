"""When a location is open: wall-clock hours in its own time zone, closures, DST."""

import datetime as dt

import pytest
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.location_details import ClosureSpec, LocationDetails
from clinic_scheduling.domain.policy import HoursSpec, SchedulingPolicy

UTC = dt.UTC
NOW = dt.datetime(2027, 1, 1, tzinfo=UTC)


def location(hours=(), closures=()) -> Location:
    details = LocationDetails(display_name="La Jolla", time_zone="America/Los_Angeles",
                              weekly_hours=tuple(hours), closures=tuple(closures))
    return Location.create("la-jolla", details, SchedulingPolicy().default_hours, NOW)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_a_visit_inside_office_hours_is_accepted():
    # Tuesday 2 March 2027, 09:00-10:30 PST.
    location().check_open(at(2027, 3, 2, 17, 0), at(2027, 3, 2, 18, 30))


def test_a_visit_ending_exactly_at_closing_time_is_accepted():
    location().check_open(at(2027, 3, 3, 2, 30), at(2027, 3, 3, 3, 0))  # 18:30-19:00 PST


@pytest.mark.parametrize("start, end", [
    (at(2027, 3, 2, 15, 30), at(2027, 3, 2, 16, 30)),  # 07:30 PST, before opening
    (at(2027, 3, 3, 2, 30), at(2027, 3, 3, 3, 30)),  # 18:30-19:30 PST, past closing
    (at(2027, 3, 6, 18, 0), at(2027, 3, 6, 19, 0)),  # Saturday
])
def test_a_visit_outside_office_hours_is_refused(start, end):
    with pytest.raises(errors.LocationClosed) as refused:
        location().check_open(start, end)
    assert refused.value.reason == "OUTSIDE_OPENING_HOURS"


def test_hours_are_read_in_the_location_time_zone_not_utc():
    # 17:00 UTC on a Monday is open in UTC terms but is 09:00 in San Diego: open.
    # 02:00 UTC on a Tuesday is Monday 18:00 in San Diego: open, on Monday's hours.
    location().check_open(at(2027, 3, 9, 2, 0), at(2027, 3, 9, 2, 30))
    assert location().local_date(at(2027, 3, 9, 2, 0)) == dt.date(2027, 3, 8)


def test_opening_follows_the_wall_clock_across_the_spring_dst_change():
    # DST starts Sunday 14 March 2027: 08:30 is 16:30 UTC before, 15:30 UTC after.
    after = location()
    after.check_open(at(2027, 3, 15, 15, 30), at(2027, 3, 15, 16, 0))
    with pytest.raises(errors.LocationClosed):
        after.check_open(at(2027, 3, 8, 15, 30), at(2027, 3, 8, 16, 0))  # 07:30 PST
    after.check_open(at(2027, 3, 8, 16, 30), at(2027, 3, 8, 17, 0))


def test_opening_follows_the_wall_clock_across_the_autumn_dst_change():
    # DST ends Sunday 7 November 2027: 08:00 is 15:00 UTC before, 16:00 UTC after.
    loc = location()
    loc.check_open(at(2027, 11, 5, 15, 0), at(2027, 11, 5, 15, 30))
    with pytest.raises(errors.LocationClosed):
        loc.check_open(at(2027, 11, 8, 15, 0), at(2027, 11, 8, 15, 30))  # 07:00 PST
    loc.check_open(at(2027, 11, 8, 16, 0), at(2027, 11, 8, 16, 30))


def test_a_closure_day_refuses_visits_within_its_hours():
    loc = location(closures=[ClosureSpec(dt.date(2027, 3, 2), "Staff training")])
    with pytest.raises(errors.LocationClosed) as refused:
        loc.check_open(at(2027, 3, 2, 17, 0), at(2027, 3, 2, 18, 0))
    assert refused.value.reason == "LOCATION_CLOSED_ON_DATE"
    loc.check_open(at(2027, 3, 3, 17, 0), at(2027, 3, 3, 18, 0))


def test_a_visit_must_fit_inside_one_interval_of_a_split_day():
    split = [HoursSpec(2, dt.time(8), dt.time(12)), HoursSpec(2, dt.time(13), dt.time(17))]
    loc = location(hours=split)
    loc.check_open(at(2027, 3, 2, 16, 0), at(2027, 3, 2, 17, 0))  # 08:00-09:00
    with pytest.raises(errors.LocationClosed):
        loc.check_open(at(2027, 3, 2, 19, 30), at(2027, 3, 2, 21, 30))  # 11:30-13:30
    with pytest.raises(errors.LocationClosed):
        loc.check_open(at(2027, 3, 3, 17, 0), at(2027, 3, 3, 18, 0))  # Wednesday: closed


def test_a_visit_running_past_midnight_is_refused_even_on_a_long_day():
    late = [HoursSpec(d, dt.time(0), dt.time(23, 59)) for d in range(1, 8)]
    with pytest.raises(errors.LocationClosed):
        location(hours=late).check_open(at(2027, 3, 3, 7, 0), at(2027, 3, 3, 9, 0))
