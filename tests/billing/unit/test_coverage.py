"""Which coverage is billed first on a date of service."""

import datetime as dt

from clinic_billing.domain.coverage import Coverage, primary_on

DAY = dt.date(2026, 3, 10)


def _coverage(coverage_id, priority=1, start=dt.date(2026, 1, 1), end=None, payer="60054"):
    return Coverage(coverage_id, "p1", payer_id=payer, priority=priority, effective_date=start,
                    end_date=end)


def test_the_active_coverage_of_lowest_priority_is_primary():
    assert primary_on([_coverage("sec", 2), _coverage("pri", 1)], DAY).coverage_id == "pri"


def test_a_coverage_is_active_from_its_effective_date_through_its_end_date():
    coverage = _coverage("c", start=DAY, end=DAY)
    assert coverage.active_on(DAY)
    assert not coverage.active_on(DAY - dt.timedelta(days=1))
    assert not coverage.active_on(DAY + dt.timedelta(days=1))


def test_an_ended_primary_leaves_the_next_active_coverage_to_bill():
    ended = _coverage("pri", 1, end=DAY - dt.timedelta(days=1))
    assert primary_on([ended, _coverage("sec", 2)], DAY).coverage_id == "sec"


def test_no_active_coverage_means_none():
    assert primary_on([_coverage("later", start=DAY + dt.timedelta(days=1))], DAY) is None
    assert primary_on([], DAY) is None


def test_an_end_heard_before_the_coverage_bills_nothing():
    assert not Coverage("c", "p1", end_date=DAY).active_on(DAY - dt.timedelta(days=5))


def test_among_equal_priorities_the_most_recently_effective_wins():
    old, new = _coverage("old", start=dt.date(2025, 1, 1)), _coverage("new", start=dt.date(2026, 2, 1))
    assert primary_on([old, new], DAY).coverage_id == "new"


def test_the_earliest_end_heard_of_stands():
    coverage = _coverage("c", end=dt.date(2026, 6, 30))
    coverage.end(dt.date(2026, 12, 31))
    assert coverage.end_date == dt.date(2026, 6, 30)
    coverage.end(dt.date(2026, 4, 30))
    assert coverage.end_date == dt.date(2026, 4, 30)


def test_a_restated_coverage_keeps_an_end_already_heard_of():
    placeholder = Coverage("c", "p1", end_date=dt.date(2026, 4, 30))
    placeholder.restate(_coverage("c", priority=2))
    assert (placeholder.payer_id, placeholder.priority, placeholder.end_date) == \
        ("60054", 2, dt.date(2026, 4, 30))
