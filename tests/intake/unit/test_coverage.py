"""Coverage rules: what a coverage needs, priorities in force, ending one."""

import datetime as dt

import pytest
from clinic_common.errors import AlreadyExists, FailedPrecondition, FieldViolation
from clinic_intake.domain.coverage import Coverage, merge_conflicts

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _details(**fields) -> dict:
    return {"payer_id": "60054", "member_id": "W1", "priority": 1,
            "effective_date": dt.date(2026, 1, 1), "subscriber_relationship": "SELF", **fields}


def _record(others=(), **fields) -> Coverage:
    return Coverage.record("p1", _details(**fields), list(others), NOW)


def test_coverage_is_in_force_between_its_dates_inclusive():
    coverage = _record(end_date=dt.date(2026, 6, 30))
    assert coverage.in_force_on(dt.date(2026, 1, 1))
    assert coverage.in_force_on(dt.date(2026, 6, 30))
    assert not coverage.in_force_on(dt.date(2026, 7, 1))
    assert not coverage.in_force_on(dt.date(2025, 12, 31))


def test_open_ended_coverage_stays_in_force():
    assert _record().in_force_on(dt.date(2040, 1, 1))


def test_same_priority_may_follow_once_the_earlier_coverage_ends():
    first = _record(end_date=dt.date(2026, 3, 31))
    later = _record([first], payer_id="B", effective_date=dt.date(2026, 4, 1))
    assert later.priority == 1


def test_same_priority_on_overlapping_days_is_refused():
    first = _record(end_date=dt.date(2026, 3, 31))
    with pytest.raises(FailedPrecondition) as refused:
        _record([first], payer_id="B", effective_date=dt.date(2026, 3, 31))
    assert refused.value.reason == "COVERAGE_PRIORITY_TAKEN"


def test_the_same_card_twice_already_exists():
    with pytest.raises(AlreadyExists):
        _record([_record()], priority=2)


def test_subscriber_other_than_the_patient_needs_a_birth_date():
    with pytest.raises(FieldViolation) as refused:
        _record(subscriber_relationship="CHILD", subscriber_name="Luis Reyes")
    assert refused.value.field == "coverage.subscriber_date_of_birth"


def test_ending_sets_the_last_day_once():
    coverage = _record()
    coverage.end(dt.date(2026, 2, 28), NOW)
    assert (coverage.end_date, coverage.ended, coverage.revision) == \
        (dt.date(2026, 2, 28), True, 2)
    with pytest.raises(FailedPrecondition):
        coverage.end(dt.date(2026, 2, 1), NOW)


def test_ending_after_a_known_end_date_is_refused():
    coverage = _record(end_date=dt.date(2026, 6, 30))
    with pytest.raises(FailedPrecondition) as refused:
        coverage.end(dt.date(2026, 7, 31), NOW)
    assert refused.value.reason == "END_AFTER_KNOWN_END_DATE"


def test_merge_conflicts_are_overlapping_coverages_of_one_priority():
    kept = [_record(), _record(payer_id="S", priority=2, end_date=dt.date(2026, 1, 31))]
    moved = [_record(payer_id="X"), _record(payer_id="Y", priority=2,
                                            effective_date=dt.date(2026, 2, 1))]
    assert merge_conflicts(kept, moved) == [moved[0].coverage_id]
