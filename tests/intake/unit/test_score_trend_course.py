"""The score trend is measured in the current course of treatment, from its baseline.

Review findings: remission was reported on a single baseline screening, and the baseline was
the first screening ever rather than the start of the current course.
"""

import datetime as dt

from clinic_intake.adapters.definitions import load_instruments
from clinic_intake.domain.screening import BaselineBasis, Course, Screening, trend

from tests.intake.support import answers_totalling

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PHQ9 = load_instruments().get("PHQ-9")


def _phq9(total: int, days_ago: int):
    values = answers_totalling(total, 9, 3)
    return Screening.score("p1", PHQ9, list(enumerate(values, 1)),
                           NOW - dt.timedelta(days=days_ago), "", "dr-lee", NOW)[0]


def _course(plan_id: str, days_ago: int, active: bool = True) -> Course:
    return Course(plan_id, NOW - dt.timedelta(days=days_ago), active)


def test_remission_is_not_reported_on_a_single_baseline():
    t = trend(PHQ9, [_phq9(3, days_ago=1)], 50)
    assert (t.baseline, t.latest, t.follow_up_count) == (3, 3, 0)
    assert (t.response, t.remission, t.change) == (False, False, 0)
    assert t.basis == BaselineBasis.FIRST_SCREENING


def test_baseline_is_the_start_of_the_current_course_not_the_first_screening_ever():
    first_course = [_phq9(22, days_ago=200), _phq9(8, days_ago=150)]
    relapse, after = _phq9(20, days_ago=30), _phq9(12, days_ago=5)
    t = trend(PHQ9, [*first_course, relapse, after], 50,
              [_course("old", 190, active=False), _course("new", 29)])
    assert (t.baseline_screening_id, t.baseline_plan_id, t.basis) == \
        (relapse.screening_id, "new", BaselineBasis.ACTIVE_PLAN)
    assert (t.baseline, t.latest, t.change, t.percent_change) == (20, 12, -8, -40.0)
    assert (t.follow_up_count, t.response, t.remission) == (1, False, False)
    assert len(t.points) == 4  # the history stays whole


def test_the_latest_screening_before_the_plan_started_is_the_baseline():
    early, late, follow = _phq9(24, days_ago=40), _phq9(18, days_ago=11), _phq9(4, days_ago=2)
    t = trend(PHQ9, [follow, late, early], 50, [_course("p", 10)])
    assert (t.baseline_screening_id, t.baseline, t.follow_up_count) == (late.screening_id, 18, 1)
    assert (t.response, t.remission) == (True, True)


def test_a_screening_at_the_plan_start_counts_as_before_it():
    at_start = _phq9(16, days_ago=10)
    t = trend(PHQ9, [_phq9(20, days_ago=30), at_start, _phq9(8, days_ago=1)], 50,
              [_course("p", 10)])
    assert t.baseline_screening_id == at_start.screening_id


def test_with_no_screening_before_the_plan_the_first_after_it_is_the_baseline():
    first_after, later = _phq9(21, days_ago=8), _phq9(9, days_ago=1)
    t = trend(PHQ9, [later, first_after], 50, [_course("p", 10)])
    assert (t.baseline_screening_id, t.baseline, t.follow_up_count) == \
        (first_after.screening_id, 21, 1)
    assert t.response


def test_only_the_baseline_in_the_course_reports_no_outcome_even_below_the_threshold():
    # Scored 3 just before the plan started: the plan's baseline, with nothing after it yet.
    t = trend(PHQ9, [_phq9(20, days_ago=90), _phq9(3, days_ago=10)], 50, [_course("p", 5)])
    assert (t.baseline, t.follow_up_count, t.response, t.remission) == (3, 0, False, False)


def test_without_an_active_plan_the_latest_past_course_is_measured():
    baseline = _phq9(19, days_ago=60)
    t = trend(PHQ9, [_phq9(25, days_ago=300), baseline, _phq9(4, days_ago=10)], 50,
              [_course("older", 290, active=False), _course("ended", 55, active=False)])
    assert (t.basis, t.baseline_plan_id, t.baseline_screening_id) == \
        (BaselineBasis.PAST_PLAN, "ended", baseline.screening_id)
    assert (t.response, t.remission) == (True, True)


def test_with_two_active_plans_the_one_started_last_is_the_course():
    t = trend(PHQ9, [_phq9(20, days_ago=50), _phq9(15, days_ago=20), _phq9(7, days_ago=1)],
              50, [_course("ketamine", 40), _course("tms", 15)])
    assert (t.baseline_plan_id, t.baseline, t.follow_up_count) == ("tms", 15, 1)


def test_no_screenings_is_an_empty_trend():
    t = trend(PHQ9, [], 50, [_course("p", 3)])
    assert (t.points, t.basis, t.baseline_screening_id, t.follow_up_count) == ((), "", "", 0)
