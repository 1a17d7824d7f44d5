"""The in-memory timeline a search asks about each candidate slot."""

import datetime as dt
import random

from clinic_scheduling.domain.timeline import Timeline

T0 = dt.datetime(2027, 3, 1, 16, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_only_intervals_that_overlap_are_found_and_touching_ones_are_not():
    line = Timeline([(at(0), at(90), "long"), (at(60), at(90), "b"), (at(90), at(120), "c")])
    assert sorted(line.overlapping(at(80), at(90))) == ["b", "long"]
    assert list(line.overlapping(at(90), at(100))) == ["c"]  # [60, 90) ends as it starts
    assert list(line.overlapping(at(120), at(200))) == []
    assert sorted(line.overlapping(at(-30), at(1))) == ["long"]
    assert list(Timeline().overlapping(at(0), at(10))) == []


def test_it_agrees_with_a_scan_of_every_interval():
    rng = random.Random(3)
    intervals = []
    for n in range(300):
        start = rng.randrange(0, 2000, 15)
        intervals.append((at(start), at(start + rng.choice([30, 40, 90, 135, 240])), n))
    line = Timeline(intervals)
    for _ in range(500):
        start = rng.randrange(-100, 2100, 15)
        end = start + rng.choice([15, 30, 90, 135])
        expected = {v for s, e, v in intervals if s < at(end) and e > at(start)}
        assert set(line.overlapping(at(start), at(end))) == expected
