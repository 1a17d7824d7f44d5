"""Placing a treatment series: the plan's sessions, each the earliest open slot that suits
the patient's preferences and lies at least the plan's minimum spacing after the one
before, all inside the plan's window. Pure rules; the service layer supplies the slots.

Taking the earliest suitable slot each time is optimal: if any placement of all sessions
exists among the slots, the greedy one exists too (each greedy session is no later than the
same session of any valid placement). So a refusal means no placement exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from clinic_scheduling.domain import errors

DEFAULT_WINDOW_DAYS = 42  # when the plan gives no window


class OpenSlot(Protocol):
    location_id: str
    time_zone: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class SeriesTerms:
    """The plan's terms a series follows."""

    sessions: int
    min_spacing_hours: int
    window_days: int


@dataclass(frozen=True)
class SeriesPreferences:
    """What the patient prefers: ISO weekdays (1 Monday .. 7 Sunday; empty: any), a local
    time window for the start (None: any), locations in order of preference (empty: any,
    all equal) and the first day."""

    start_date: dt.date
    weekdays: frozenset[int] = frozenset()
    earliest_local: dt.time | None = None
    latest_local: dt.time | None = None
    location_ids: tuple[str, ...] = ()

    def window_end(self, terms: SeriesTerms) -> dt.date:
        """The last day a session may fall on (in the location's time zone); a plan that
        gives no window gets DEFAULT_WINDOW_DAYS."""
        days = terms.window_days if terms.window_days > 0 else DEFAULT_WINDOW_DAYS
        return self.start_date + dt.timedelta(days=days - 1)

    def suits(self, slot: OpenSlot, terms: SeriesTerms) -> bool:
        local = slot.start.astimezone(ZoneInfo(slot.time_zone))
        if local.date() > self.window_end(terms) or not self.suits_time(slot):
            return False
        return not self.location_ids or slot.location_id in self.location_ids

    def suits_time(self, slot: OpenSlot) -> bool:
        """Whether the slot's local start is on or after the first day, on a preferred
        weekday and inside the preferred start times (its location aside)."""
        local = slot.start.astimezone(ZoneInfo(slot.time_zone))
        if local.date() < self.start_date:
            return False
        if self.weekdays and local.isoweekday() not in self.weekdays:
            return False
        if self.earliest_local is not None and local.time() < self.earliest_local:
            return False
        return self.latest_local is None or local.time() <= self.latest_local

    def rank(self, slot: OpenSlot) -> tuple:
        """Earliest first; at the same time, the preferred location first."""
        order = (self.location_ids.index(slot.location_id)
                 if slot.location_id in self.location_ids else len(self.location_ids))
        return (slot.start, order, slot.location_id)


def check_terms(terms: SeriesTerms) -> None:
    if terms.sessions < 1:
        raise errors.SeriesDoesNotFit(1, terms.sessions, "the plan has no sessions")


def place_series(terms: SeriesTerms, prefs: SeriesPreferences, slots: Iterable[OpenSlot],
                 *, already: Sequence[dt.datetime] = ()) -> list[OpenSlot]:
    """The slots of the series' sessions, in order, or SeriesDoesNotFit naming the first
    session that cannot be placed. ``already``: starts of the patient's sessions of this
    treatment booked before; the first new session keeps its spacing from the last."""
    check_terms(terms)
    spacing = dt.timedelta(hours=terms.min_spacing_hours)
    ordered = sorted((s for s in slots if prefs.suits(s, terms)), key=prefs.rank)
    placed: list[OpenSlot] = []
    previous = max(already) if already else None
    for slot in ordered:
        if len(placed) == terms.sessions:
            break
        if previous is not None and slot.start < previous + spacing:
            continue
        placed.append(slot)
        previous = slot.start
    if len(placed) < terms.sessions:
        missing = len(placed) + 1
        if previous is None:
            why = (f"no open slot suits the preferences between {prefs.start_date} and "
                   f"{prefs.window_end(terms)}")
        else:
            why = (f"no open slot suits the preferences at least {terms.min_spacing_hours} "
                   f"hours after {previous.isoformat()} and by {prefs.window_end(terms)}, "
                   f"the end of the plan's {terms.window_days}-day window")
        raise errors.SeriesDoesNotFit(missing, terms.sessions, why)
    return placed


def of_this_plan(plan_created_at: dt.datetime | None, start: dt.datetime) -> bool:
    """Whether a session counts against the plan's number: one that starts after the plan
    was created (a course under an earlier plan does not use this one's sessions)."""
    return plan_created_at is None or start >= plan_created_at


def check_spacing(start: dt.datetime, min_spacing_hours: int,
                  neighbours: Iterable[tuple[str, dt.datetime]]) -> None:
    """Refuse a session closer than the spacing to any neighbour (appointment id, start):
    SpacingTooShort naming the nearest."""
    spacing = dt.timedelta(hours=min_spacing_hours)
    close = [(abs(other - start), ident) for ident, other in neighbours
             if abs(other - start) < spacing]
    if close:
        gap, ident = min(close)
        raise errors.SpacingTooShort(ident, round(gap.total_seconds() / 3600, 2),
                                     min_spacing_hours)
