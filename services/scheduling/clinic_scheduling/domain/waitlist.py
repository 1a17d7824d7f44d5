"""The waitlist's rules: who is offered a freed slot, and how an entry and its offers move.

Entries wait in the order they joined (``position``). A freed slot goes to the first
waiting entry whose wishes fit it (type, location, window; before their current
appointment when they want one moved earlier) and for whom the booking rules pass then
(the service layer checks those: patient free, cleared, resources); each entry is offered
a given freed slot at most once, so a declined or lapsed offer moves down the line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WAITING, OFFERED, FULFILLED, CANCELLED = "WAITING", "OFFERED", "FULFILLED", "CANCELLED"
# Closed by the sweep once the latest start the patient accepts has passed, or the
# appointment it was to move earlier is no longer booked (the causes).
ENTRY_EXPIRED = "EXPIRED"
WINDOW_PASSED, CURRENT_APPOINTMENT_CLOSED = "WINDOW_PASSED", "CURRENT_APPOINTMENT_CLOSED"
OPEN_STATES = (WAITING, OFFERED)
# An offer's states: open, then accepted, declined, expired, or withdrawn (entry cancelled).
OPEN, ACCEPTED, DECLINED, LAPSED, WITHDRAWN = (
    "OFFERED", "ACCEPTED", "DECLINED", "EXPIRED", "WITHDRAWN")


@dataclass(frozen=True)
class FreedSlot:
    """A slot that just became free: where, of which type, when, and what freed it.
    ``key`` names the freed slot for its whole chain of offers."""

    location_id: str
    appointment_type: str
    start: dt.datetime
    end: dt.datetime
    key: str


@dataclass
class WaitlistEntry:
    entry_id: str
    position: int
    patient_id: str
    appointment_type: str
    location_ids: tuple[str, ...]  # empty: any location
    earliest_start: dt.datetime
    latest_start: dt.datetime
    current_location_id: str
    current_appointment_id: str
    status: str
    appointment_id: str
    appointment_location_id: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def closed(self) -> bool:
        return self.status not in OPEN_STATES

    def visible_to(self, scope: frozenset[str] | None) -> bool:
        """A caller sees an entry that would take one of their locations (or any); None:
        every location."""
        return scope is None or not self.location_ids or bool(scope & set(self.location_ids))

    def outlived(self, now: dt.datetime) -> bool:
        """Still waiting, but no slot can be offered any more: its latest start has come."""
        return self.status == WAITING and self.latest_start <= now

    def wants(self, slot: FreedSlot) -> bool:
        """The slot suits the entry's type, locations and window (not yet the patient's
        own calendar or clearance, nor whether it is earlier than their current visit)."""
        return (self.status == WAITING and slot.appointment_type == self.appointment_type
                and (not self.location_ids or slot.location_id in self.location_ids)
                and self.earliest_start <= slot.start <= self.latest_start)


@dataclass
class WaitlistOffer:
    offer_id: str
    entry_id: str
    slot_key: str
    hold_id: str
    location_id: str
    start_time: dt.datetime
    end_time: dt.datetime
    expires_at: dt.datetime
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime

    def lapsed(self, now: dt.datetime) -> bool:
        return self.status == OPEN and now >= self.expires_at


def earlier_than_current(slot_start: dt.datetime, current_start: dt.datetime | None) -> bool:
    """An entry that wants its visit moved earlier takes only slots starting before it."""
    return current_start is None or slot_start < current_start


def first_fit(entries: list[WaitlistEntry], slot: FreedSlot,
              offered: set[str]) -> list[WaitlistEntry]:
    """The entries that want ``slot``, first come first, less those ``offered`` it before."""
    return [e for e in sorted(entries, key=lambda e: e.position)
            if e.wants(slot) and e.entry_id not in offered]
