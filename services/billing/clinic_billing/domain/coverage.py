"""The coverage projection: each patient's insurance, as intake announces it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Coverage:
    coverage_id: str
    patient_id: str
    payer_id: str = ""
    member_id: str = ""
    group_number: str = ""
    priority: int = 1
    effective_date: dt.date | None = None
    end_date: dt.date | None = None
    plan_type: str = ""
    subscriber_relationship: str = ""

    def active_on(self, day: dt.date) -> bool:
        if not self.payer_id:
            return False  # only an end was heard of so far: nothing to bill
        started = self.effective_date is None or self.effective_date <= day
        return started and (self.end_date is None or day <= self.end_date)

    def end(self, end_date: dt.date | None) -> None:
        """Ends the coverage; the earliest end heard of wins, so replays change nothing."""
        if end_date is not None and (self.end_date is None or end_date < self.end_date):
            self.end_date = end_date

    def restate(self, other: Coverage) -> None:
        """Takes the facts of a (re)announcement, keeping an end already heard of."""
        earlier_end = self.end_date
        for name in ("payer_id", "member_id", "group_number", "priority", "effective_date",
                     "end_date", "plan_type", "subscriber_relationship"):
            setattr(self, name, getattr(other, name))
        self.end(earlier_end)


def in_priority_order(coverages: Iterable[Coverage]) -> list[Coverage]:
    """Primary first; among equal priorities the most recently effective first."""
    return sorted(coverages, key=lambda c: (c.priority, -(c.effective_date or dt.date.min)
                                            .toordinal(), c.coverage_id))


def primary_on(coverages: Iterable[Coverage], day: dt.date) -> Coverage | None:
    """The coverage billed first for a date of service: the active one of lowest priority."""
    active = [c for c in coverages if c.active_on(day)]
    ordered = in_priority_order(active)
    return ordered[0] if ordered else None
