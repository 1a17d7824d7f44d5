"""Waitlist entries and offers in their tables (Core statements; both are flat rows)."""

from __future__ import annotations

import datetime as dt

from clinic_common import keyset
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from clinic_scheduling.adapters.tables import appointments as A
from clinic_scheduling.adapters.tables import waitlist_entries as E
from clinic_scheduling.adapters.tables import waitlist_offers as O
from clinic_scheduling.domain.appointment import HOLDING, Status
from clinic_scheduling.domain.waitlist import (
    OPEN,
    OPEN_STATES,
    WAITING,
    WaitlistEntry,
    WaitlistOffer,
)


def _entry(row) -> WaitlistEntry:
    return WaitlistEntry(
        row.entry_id, row.position, row.patient_id, row.appointment_type,
        tuple(i for i in row.location_list.split(",") if i), row.earliest_start,
        row.latest_start, row.current_location_id, row.current_appointment_id, row.status,
        row.appointment_id, row.appointment_location_id, row.created_at, row.updated_at)


def _offer(row) -> WaitlistOffer:
    return WaitlistOffer(row.offer_id, row.entry_id, row.slot_key, row.hold_id, row.location_id,
                         row.start_time, row.end_time, row.expires_at, row.status,
                         row.created_at, row.updated_at)


def _takes(location_id: str):
    """The entry would take a slot at the location: it names it, or no location (any)."""
    return or_(E.c.location_list == "",
               ("," + E.c.location_list + ",").contains(f",{location_id},"))


class SqlWaitlistRepository:
    def __init__(self, session: Session):
        self.session = session

    def next_position(self) -> int:
        """One past the last entry's place in line (two concurrent joins that get the same
        one collide on the unique position and the loser runs again)."""
        return (self.session.scalar(select(func.max(E.c.position))) or 0) + 1

    def add(self, entry: WaitlistEntry) -> None:
        self.session.execute(E.insert().values(
            entry_id=entry.entry_id, position=entry.position, patient_id=entry.patient_id,
            appointment_type=entry.appointment_type, location_list=",".join(entry.location_ids),
            earliest_start=entry.earliest_start, latest_start=entry.latest_start,
            current_location_id=entry.current_location_id,
            current_appointment_id=entry.current_appointment_id, status=entry.status,
            appointment_id=entry.appointment_id,
            appointment_location_id=entry.appointment_location_id,
            created_at=entry.created_at, updated_at=entry.updated_at))

    def get(self, entry_id: str, *, lock: bool = False) -> WaitlistEntry | None:
        query = select(E).where(E.c.entry_id == entry_id)
        if lock:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _entry(row) if row else None

    def move(self, entry_id: str, from_states: tuple[str, ...], status: str, now: dt.datetime,
             appointment: tuple[str, str] = ("", "")) -> bool:
        """Moves the entry to ``status`` when it is in one of ``from_states``; False when
        another transaction moved it first."""
        values = {"status": status, "updated_at": now}
        if appointment[0]:
            values.update(appointment_location_id=appointment[0], appointment_id=appointment[1])
        result = self.session.execute(update(E).where(
            E.c.entry_id == entry_id, E.c.status.in_(from_states)).values(**values))
        return result.rowcount == 1

    def repoint(self, from_patient_id: str, to_patient_id: str) -> None:
        """Gives a merged-away patient's entries, open or closed, to the survivor."""
        self.session.execute(update(E).where(E.c.patient_id == from_patient_id)
                             .values(patient_id=to_patient_id))

    def waiting_for(self, appointment_type: str) -> list[WaitlistEntry]:
        """The waiting entries of a type, first come first."""
        rows = self.session.execute(select(E).where(
            E.c.appointment_type == appointment_type, E.c.status == WAITING)
            .order_by(E.c.position))
        return [_entry(row) for row in rows]

    def outlived(self, now: dt.datetime, limit: int = 100) -> list[WaitlistEntry]:
        """Waiting entries that can take no slot any more, first in line first: their
        latest acceptable start has come, or the appointment they were to move earlier is
        no longer booked."""
        gone = select(A.c.appointment_id).where(
            A.c.appointment_id == E.c.current_appointment_id, A.c.status == Status.BOOKED.value)
        rows = self.session.execute(select(E).where(
            E.c.status == WAITING,
            or_(E.c.latest_start <= now,
                and_(E.c.current_appointment_id != "", ~gone.exists())))
            .order_by(E.c.position).limit(limit))
        return [_entry(row) for row in rows]

    def list(self, *, limit: int, after: list | None, patient_id: str | None,
             appointment_type: str | None, location_id: str | None,
             show_closed: bool, scope: frozenset[str] | None = None) -> keyset.Page:
        """``scope``: only the entries that would take one of these locations (or any)."""
        query = select(E)
        if patient_id:
            query = query.where(E.c.patient_id == patient_id)
        if appointment_type:
            query = query.where(E.c.appointment_type == appointment_type)
        if location_id:
            query = query.where(_takes(location_id))
        if scope is not None:
            query = query.where(or_(E.c.location_list == "",
                                    *(_takes(at) for at in sorted(scope))))
        if not show_closed:
            query = query.where(E.c.status.in_(OPEN_STATES))
        page = keyset.fetch(self.session, query, [E.c.position], after, limit, scalars=False)
        return keyset.Page([_entry(r) for r in page.items], page.next_key)

    # Offers
    def add_offer(self, offer: WaitlistOffer) -> None:
        self.session.execute(O.insert().values(
            offer_id=offer.offer_id, entry_id=offer.entry_id, slot_key=offer.slot_key,
            hold_id=offer.hold_id, location_id=offer.location_id, start_time=offer.start_time,
            end_time=offer.end_time, expires_at=offer.expires_at, status=offer.status,
            created_at=offer.created_at, updated_at=offer.updated_at))

    def offer(self, offer_id: str) -> WaitlistOffer | None:
        row = self.session.execute(select(O).where(O.c.offer_id == offer_id)).first()
        return _offer(row) if row else None

    def latest_offer(self, entry_id: str) -> WaitlistOffer | None:
        row = self.session.execute(select(O).where(O.c.entry_id == entry_id)
                                   .order_by(O.c.created_at.desc(), O.c.offer_id)).first()
        return _offer(row) if row else None

    def open_offer(self, entry_id: str) -> WaitlistOffer | None:
        row = self.session.execute(select(O).where(
            O.c.entry_id == entry_id, O.c.status == OPEN)).first()
        return _offer(row) if row else None

    def open_offer_of_hold(self, hold_id: str) -> WaitlistOffer | None:
        row = self.session.execute(select(O).where(
            O.c.hold_id == hold_id, O.c.status == OPEN)).first()
        return _offer(row) if row else None

    def offered_slot_to(self, slot_key: str) -> set[str]:
        """The entries already offered the freed slot ``slot_key``."""
        return set(self.session.scalars(select(O.c.entry_id).where(O.c.slot_key == slot_key)))

    def close_offer(self, offer_id: str, status: str, now: dt.datetime) -> bool:
        """Closes an open offer; False when another transaction closed it first (on
        PostgreSQL the update waits for that one's row lock, then finds it closed)."""
        result = self.session.execute(update(O).where(
            O.c.offer_id == offer_id, O.c.status == OPEN).values(status=status, updated_at=now))
        return result.rowcount == 1

    def overtaken_offers(self, limit: int = 100) -> list[WaitlistOffer]:
        """Open offers whose patient was booked meanwhile, another way, at a time that
        overlaps the offered slot (the appointment the entry is to move aside)."""
        clash = select(A.c.appointment_id).where(
            A.c.patient_id == E.c.patient_id, A.c.status.in_([s.value for s in HOLDING]),
            A.c.start_time < O.c.end_time, A.c.end_time > O.c.start_time,
            A.c.appointment_id != E.c.current_appointment_id)
        rows = self.session.execute(
            select(O).join(E, E.c.entry_id == O.c.entry_id)
            .where(O.c.status == OPEN, clash.exists())
            .order_by(O.c.expires_at, O.c.offer_id).limit(limit))
        return [_offer(row) for row in rows]

    def lapsed_offers(self, now: dt.datetime, limit: int = 100) -> list[WaitlistOffer]:
        rows = self.session.execute(select(O).where(O.c.status == OPEN, O.c.expires_at <= now)
                                    .order_by(O.c.expires_at, O.c.offer_id).limit(limit))
        return [_offer(row) for row in rows]
