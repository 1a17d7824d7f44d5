"""Screenings, safety flags and the score trend: baseline, response, remission."""

import datetime as dt

import pytest
from clinic_common.errors import FailedPrecondition, FieldViolation
from clinic_intake.adapters.definitions import load_instruments
from clinic_intake.domain.screening import Screening, trend

from tests.intake.support import answers_totalling

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PHQ9 = load_instruments().get("PHQ-9")


def _phq9(total: int, days_ago: int = 0, item9: int = 0):
    values = answers_totalling(total - item9, 8, 3) + [item9]
    return Screening.score("p1", PHQ9, list(enumerate(values, 1)),
                           NOW - dt.timedelta(days=days_ago), "", "dr-lee", NOW)


def test_scoring_keeps_answers_and_raises_flags_for_the_patient():
    screening, flags = _phq9(12, item9=1)
    assert (screening.total_score, screening.severity) == (12, "moderate")
    assert screening.answers["9"] == 1
    assert [(f.kind, f.screening_id, f.is_open) for f in flags] == \
        [("SUICIDALITY", screening.screening_id, True)]


def test_a_screening_needs_a_time_not_in_the_future():
    with pytest.raises(FieldViolation):
        Screening.score("p1", PHQ9, [(i, 0) for i in range(1, 10)], None, "", "x", NOW)
    with pytest.raises(FieldViolation):
        Screening.score("p1", PHQ9, [(i, 0) for i in range(1, 10)],
                        NOW + dt.timedelta(hours=1), "", "x", NOW)


def test_a_flag_is_acknowledged_once_by_a_clinician():
    _, [flag] = _phq9(5, item9=2)
    flag.acknowledge("dr-kim", "safety plan reviewed", NOW)
    assert (flag.is_open, flag.acknowledged_by, flag.revision) == (False, "dr-kim", 2)
    with pytest.raises(FailedPrecondition) as refused:
        flag.acknowledge("dr-kim", "", NOW)
    assert refused.value.reason == "FLAG_ALREADY_ACKNOWLEDGED"


def _trend(*totals):
    points = [_phq9(t, days_ago=len(totals) - i)[0] for i, t in enumerate(totals)]
    return trend(PHQ9, list(reversed(points)), 50)


def test_trend_compares_the_latest_score_with_the_first():
    t = _trend(20, 14, 10)
    assert ([p.total_score for p in t.points], t.baseline, t.latest, t.change) == \
        ([20, 14, 10], 20, 10, -10)
    assert (t.percent_change, t.response, t.remission) == (-50.0, True, False)


def test_a_drop_short_of_half_is_not_a_response():
    t = _trend(20, 11)
    assert (t.percent_change, t.response) == (-45.0, False)


def test_remission_is_a_phq9_below_five():
    assert _trend(18, 4).remission
    assert not _trend(18, 5).remission


def test_a_single_score_or_zero_baseline_is_no_response():
    assert not _trend(10).response
    zero = _trend(0, 0)
    assert (zero.percent_change, zero.response, zero.remission) == (0.0, False, True)


def test_response_threshold_is_a_parameter():
    points = [_phq9(20, 2)[0], _phq9(14, 1)[0]]
    assert trend(PHQ9, points, 30).response
    assert not trend(PHQ9, points, 50).response


def test_no_screenings_is_an_empty_trend():
    empty = trend(PHQ9, [], 50)
    assert (empty.points, empty.response, empty.remission) == ((), False, False)
