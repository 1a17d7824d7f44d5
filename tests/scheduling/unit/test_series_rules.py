"""Placing a treatment series: spacing, window, preferences, all-or-nothing refusals."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.series import (
    SeriesPreferences,
    SeriesTerms,
    check_spacing,
    place_series,
)

PACIFIC = "America/Los_Angeles"
MONDAY = dt.date(2027, 3, 1)


@dataclass(frozen=True)
class S:
    location_id: str
    start: dt.datetime
    time_zone: str = PACIFIC

    @property
    def end(self):
        return self.start + dt.timedelta(minutes=90)


def at(day, hour, location="la-jolla", minute=0):
    return S(location, dt.datetime.combine(MONDAY + dt.timedelta(days=day),
                                           dt.time(hour, minute), ZoneInfo(PACIFIC)))


def every_day(days=14, hours=(9, 11, 13, 15), location="la-jolla"):
    return [at(d, h, location) for d in range(days) for h in hours]


SIX_IN_14 = SeriesTerms(sessions=6, min_spacing_hours=48, window_days=14)


def test_each_session_is_the_earliest_slot_at_least_the_spacing_after_the_one_before():
    placed = place_series(SIX_IN_14, SeriesPreferences(MONDAY), every_day())
    assert [p.start for p in placed] == [at(d, 9).start for d in (0, 2, 4, 6, 8, 10)]


def test_preferred_weekdays_and_local_time_window_are_kept():
    prefs = SeriesPreferences(MONDAY, weekdays=frozenset({1, 3, 5}),
                              earliest_local=dt.time(11), latest_local=dt.time(13))
    placed = place_series(SIX_IN_14, prefs, every_day())
    assert [p.start for p in placed] == [at(d, 11).start for d in (0, 2, 4, 7, 9, 11)]


def test_at_the_same_time_the_preferred_location_wins():
    slots = every_day(location="encinitas") + every_day(location="la-jolla")
    prefs = SeriesPreferences(MONDAY, location_ids=("la-jolla", "encinitas"))
    assert {p.location_id for p in place_series(SIX_IN_14, prefs, slots)} == {"la-jolla"}


def test_an_earlier_slot_elsewhere_beats_a_later_one_at_the_preferred_location():
    slots = [at(0, 9, "encinitas"), at(0, 11, "la-jolla")]
    prefs = SeriesPreferences(MONDAY, location_ids=("la-jolla", "encinitas"))
    one = SeriesTerms(sessions=1, min_spacing_hours=48, window_days=14)
    assert place_series(one, prefs, slots)[0].location_id == "encinitas"


def test_locations_not_listed_are_not_used():
    prefs = SeriesPreferences(MONDAY, location_ids=("encinitas",))
    with pytest.raises(errors.SeriesDoesNotFit) as refused:
        place_series(SIX_IN_14, prefs, every_day())
    assert refused.value.metadata["session"] == "1"


def test_a_session_that_cannot_fit_in_the_window_is_named_and_nothing_is_placed():
    # Six sessions 72 hours apart need 16 days; the window is 14.
    terms = SeriesTerms(sessions=6, min_spacing_hours=72, window_days=14)
    with pytest.raises(errors.SeriesDoesNotFit) as refused:
        place_series(terms, SeriesPreferences(MONDAY), every_day(days=30))
    assert refused.value.reason == "SERIES_DOES_NOT_FIT"
    assert refused.value.metadata["session"] == "6"
    assert "72 hours" in str(refused.value)


def test_slots_before_the_start_date_do_not_count():
    placed = place_series(SeriesTerms(2, 24, 7), SeriesPreferences(MONDAY + dt.timedelta(days=3)),
                          every_day())
    assert placed[0].start == at(3, 9).start


def test_spacing_is_kept_from_sessions_booked_before():
    placed = place_series(SeriesTerms(1, 48, 14), SeriesPreferences(MONDAY), every_day(),
                          already=[at(1, 10).start])
    assert placed[0].start == at(3, 11).start


def test_check_spacing_names_the_nearest_neighbour():
    with pytest.raises(errors.SpacingTooShort) as refused:
        check_spacing(at(2, 9).start, 48, [("a1", at(0, 9).start), ("a2", at(3, 9).start)])
    assert refused.value.metadata["neighbour_appointment_id"] == "a2"
    check_spacing(at(2, 9).start, 48, [("a1", at(0, 9).start), ("a2", at(4, 9).start)])


def test_a_plan_without_a_window_gets_the_default_one():
    from clinic_scheduling.domain.series import DEFAULT_WINDOW_DAYS
    prefs = SeriesPreferences(MONDAY)
    assert prefs.window_end(SeriesTerms(6, 48, 0)) == \
        MONDAY + dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    assert prefs.window_end(SeriesTerms(6, 48, 14)) == dt.date(2027, 3, 14)


def test_a_plan_without_sessions_does_not_fit():
    with pytest.raises(errors.SeriesDoesNotFit):
        place_series(SeriesTerms(0, 48, 14), SeriesPreferences(MONDAY), every_day())


def test_only_sessions_after_the_plan_was_created_count_against_it():
    from clinic_scheduling.domain.series import of_this_plan
    created = at(3, 9).start
    assert of_this_plan(created, at(4, 9).start)
    assert not of_this_plan(created, at(1, 9).start)
    assert of_this_plan(None, at(1, 9).start)


def test_a_rebooked_sessions_time_suits_the_preferences_whatever_its_location():
    prefs = SeriesPreferences(start_date=MONDAY + dt.timedelta(days=1),
                              weekdays=frozenset({2, 4}), earliest_local=dt.time(10),
                              latest_local=dt.time(12), location_ids=("encinitas",))
    assert prefs.suits_time(at(1, 10, "la-jolla"))  # Tuesday 10:00, any location
    assert prefs.suits_time(at(3, 12))  # Thursday at the latest start
    assert not prefs.suits_time(at(0, 10))  # Monday: before the first day, and a Monday
    assert not prefs.suits_time(at(2, 10))  # Wednesday
    assert not prefs.suits_time(at(1, 9, minute=45))  # too early
    assert not prefs.suits_time(at(1, 12, minute=15))  # too late
    assert not prefs.suits(at(1, 10, "la-jolla"), SIX_IN_14)  # a series keeps the location
