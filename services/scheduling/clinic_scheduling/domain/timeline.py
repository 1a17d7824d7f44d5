"""What is taken over a stretch of time, answered in memory: the intervals a search loads
once (bookings of resources, holds, staff assignments, the patient's visits) and asks about
for each candidate slot. Pure; the service layer loads the intervals."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Timeline(Generic[T]):
    """Half-open intervals [start, end), each carrying a value; ``overlapping`` finds those
    that overlap a query interval by bisecting on the starts (the longest interval bounds
    how far back one may begin)."""

    def __init__(self, intervals: Iterable[tuple[dt.datetime, dt.datetime, T]] = ()):
        ordered = sorted(intervals, key=lambda i: i[0])
        self._starts = [i[0] for i in ordered]
        self._items = ordered
        self._longest = max((end - start for start, end, _ in ordered),
                            default=dt.timedelta(0))

    def __len__(self) -> int:
        return len(self._items)

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> Iterator[T]:
        """The values of the intervals that overlap [start, end)."""
        at = bisect.bisect_left(self._starts, start - self._longest)
        stop = bisect.bisect_left(self._starts, end)
        for begin, finish, value in self._items[at:stop]:
            if finish > start and begin < end:
                yield value
