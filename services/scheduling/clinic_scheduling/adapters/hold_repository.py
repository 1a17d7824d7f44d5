"""Slot holds in their table (Core statements; a hold is a flat row)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clinic_scheduling.adapters import tables
from clinic_scheduling.adapters.appointment_repository import LONGEST_VISIT
from clinic_scheduling.adapters.tables import slot_hold_staff as HS
from clinic_scheduling.adapters.tables import slot_holds as H
from clinic_scheduling.domain.hold import HELD, SlotHold


def _hold(row, staff=()) -> SlotHold:
    return SlotHold(row.hold_id, row.location_id, row.patient_id, row.appointment_type,
                    row.start_time, row.end_time,
                    tuple(r for r in row.resource_list.split(",") if r), row.expires_at,
                    row.status, row.created_at, tuple(staff))


def _active(now: dt.datetime, start: dt.datetime, end: dt.datetime):
    """Staff rows of the holds active at ``now`` that overlap [start, end)."""
    return (HS.c.hold_id == H.c.hold_id, H.c.status == HELD, H.c.expires_at > now,
            HS.c.start_time < end, HS.c.start_time > start - LONGEST_VISIT,
            HS.c.end_time > start)


class SqlHoldRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, hold: SlotHold) -> None:
        self.session.execute(H.insert().values(
            hold_id=hold.hold_id, location_id=hold.location_id, patient_id=hold.patient_id,
            appointment_type=hold.appointment_type, start_time=hold.start_time,
            end_time=hold.end_time, resource_list=",".join(hold.resource_ids),
            expires_at=hold.expires_at, status=hold.status, created_at=hold.created_at))
        if hold.staff:
            self.session.execute(HS.insert(), [dict(
                hold_id=hold.hold_id, staff_member_id=member, role=need, exclusive=exclusive,
                start_time=start, end_time=end)
                for member, need, exclusive in hold.staff
                for start, end in [hold.staff_window(need)]])

    def get(self, location_id: str, hold_id: str) -> SlotHold | None:
        row = self.session.execute(select(H).where(
            H.c.location_id == location_id, H.c.hold_id == hold_id)).first()
        return _hold(row, self._staff(hold_id)) if row else None

    def _staff(self, hold_id: str) -> list[tuple[str, str, bool]]:
        return [tuple(r) for r in self.session.execute(
            select(HS.c.staff_member_id, HS.c.role, HS.c.exclusive).where(
                HS.c.hold_id == hold_id).order_by(HS.c.staff_member_id, HS.c.role))]

    def lock_slot(self, location_id: str, resource_kinds: list[str],
                  staff_ids: list[str]) -> None:
        """Locks the rows of these staff members and of the location's resources of these
        kinds, each in id order, staff first (PostgreSQL; SQLite serializes writers): two
        holds that may take the same chair, device, room or person then run their checks
        one after the other, and the second sees the first's hold."""
        if staff_ids:
            S = tables.staff_members.c
            self.session.execute(select(S.staff_member_id).where(
                S.staff_member_id.in_(sorted(set(staff_ids))))
                .order_by(S.staff_member_id).with_for_update())
        if resource_kinds:
            R = tables.location_resources.c
            self.session.execute(select(R.resource_id).where(
                R.location_id == location_id, R.kind.in_(sorted(set(resource_kinds))))
                .order_by(R.resource_id).with_for_update())

    def staff_load(self, staff_ids: list[str], start: dt.datetime, end: dt.datetime,
                   now: dt.datetime, excluding: str | None = None
                   ) -> dict[str, tuple[int, int]]:
        """Per staff member, the active holds keeping them over [start, end), other than
        the hold ``excluding``: (exclusive, shared), as appointments count."""
        load: dict[str, tuple[int, int]] = {}
        for member, exclusive, _, _ in self.staff_holds(staff_ids, start, end, now, excluding):
            held, shared = load.get(member, (0, 0))
            load[member] = (held + 1, shared) if exclusive else (held, shared + 1)
        return load

    def staff_holds(self, staff_ids: list[str], start: dt.datetime, end: dt.datetime,
                    now: dt.datetime, excluding: str | None = None
                    ) -> list[tuple[str, bool, dt.datetime, dt.datetime]]:
        """(staff member, exclusive, start, end) of the active holds keeping them over
        [start, end): what a search adds to their assignments."""
        if not staff_ids:
            return []
        query = select(HS.c.staff_member_id, HS.c.exclusive, HS.c.start_time,
                       HS.c.end_time).where(HS.c.staff_member_id.in_(sorted(set(staff_ids))),
                                            *_active(now, start, end))
        if excluding:
            query = query.where(HS.c.hold_id != excluding)
        return [tuple(row) for row in self.session.execute(query)]

    def set_status(self, hold_id: str, status: str) -> None:
        self.session.execute(update(H).where(H.c.hold_id == hold_id).values(status=status))

    def repoint(self, from_patient_id: str, to_patient_id: str) -> None:
        """Gives a merged-away patient's holds still HELD to the survivor (a booking on one,
        or the accept of a waitlist offer kept by one, names the survivor)."""
        self.session.execute(update(H).where(H.c.patient_id == from_patient_id,
                                             H.c.status == HELD)
                             .values(patient_id=to_patient_id))

    def end(self, hold_id: str, status: str) -> bool:
        """Moves a HELD hold to ``status``; False when it was no longer HELD (another
        transaction ended it first: on PostgreSQL this waits for that one's row lock)."""
        result = self.session.execute(update(H).where(
            H.c.hold_id == hold_id, H.c.status == HELD).values(status=status))
        return result.rowcount == 1

    def lapsed(self, now: dt.datetime, limit: int = 100) -> list[SlotHold]:
        """Holds still marked HELD whose time ran out, oldest expiry first."""
        rows = self.session.execute(select(H).where(
            H.c.status == HELD, H.c.expires_at <= now).order_by(H.c.expires_at, H.c.hold_id)
            .limit(limit))
        return [_hold(row) for row in rows]

    def patient_holds(self, patient_id: str, start: dt.datetime, end: dt.datetime,
                      now: dt.datetime) -> bool:
        """Whether an active hold of the patient's, anywhere, overlaps [start, end)."""
        return self.session.execute(select(H.c.hold_id).where(
            H.c.patient_id == patient_id, H.c.status == HELD, H.c.expires_at > now,
            H.c.start_time < end, H.c.end_time > start).limit(1)).first() is not None

    def held_resources(self, location_id: str, start: dt.datetime, end: dt.datetime,
                       now: dt.datetime, excluding: str | None = None) -> set[str]:
        """The resources active holds keep at the location over [start, end)."""
        query = select(H.c.resource_list).where(
            H.c.location_id == location_id, H.c.status == HELD, H.c.expires_at > now,
            H.c.start_time < end, H.c.end_time > start)
        if excluding:
            query = query.where(H.c.hold_id != excluding)
        return {r for (text,) in self.session.execute(query) for r in text.split(",") if r}

    def holds_over(self, location_ids: list[str], start: dt.datetime, end: dt.datetime,
                   now: dt.datetime) -> list[tuple[str, tuple[str, ...], dt.datetime,
                                                   dt.datetime]]:
        """(location, resources, start, end) of the active holds at those locations
        overlapping [start, end): what a search loads once for its window."""
        if not location_ids:
            return []
        query = select(H.c.location_id, H.c.resource_list, H.c.start_time, H.c.end_time).where(
            H.c.location_id.in_(sorted(location_ids)), H.c.status == HELD, H.c.expires_at > now,
            H.c.start_time < end, H.c.start_time > start - LONGEST_VISIT,
            H.c.end_time > start)
        return [(location_id, tuple(r for r in text.split(",") if r), begin, finish)
                for location_id, text, begin, finish in self.session.execute(query)]
