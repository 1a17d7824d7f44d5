"""Clinic policy values the scheduling rules read. Settings supply them (see config.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_scheduling.domain.visit import VisitPolicy

# ISO weekday numbers, Monday = 1.
WEEKDAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class HoursSpec:
    """One opening interval on a weekday, as a value."""

    weekday: int
    open_time: dt.time
    close_time: dt.time


@dataclass(frozen=True)
class SchedulingPolicy:
    """What the clinics decide and may change without a release."""

    late_cancel_window: dt.timedelta = dt.timedelta(hours=24)
    default_hours: tuple[HoursSpec, ...] = tuple(
        HoursSpec(day, dt.time(8, 0), dt.time(19, 0)) for day in range(1, 6))
    # How many overlapping infusions (chairs) and observations one RN may watch at once.
    rn_max_chairs: int = 3
    # How long a slot hold blocks its slot.
    hold_duration: dt.timedelta = dt.timedelta(minutes=5)
    # How long a waitlist offer holds its slot for the patient before the next is offered.
    waitlist_offer_duration: dt.timedelta = dt.timedelta(minutes=30)
    visit: VisitPolicy = field(default_factory=VisitPolicy)


def is_late_cancellation(start: dt.datetime, cancelled_at: dt.datetime,
                         window: dt.timedelta) -> bool:
    """A cancellation is late when it comes less than ``window`` before the start (or after it)."""
    return start - cancelled_at < window


def overlaps(a_start: dt.datetime, a_end: dt.datetime,
             b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """Half-open intervals: back-to-back appointments do not overlap."""
    return a_start < b_end and b_start < a_end
