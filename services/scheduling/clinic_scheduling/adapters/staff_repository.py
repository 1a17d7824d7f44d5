"""Where staff members are kept: the port and its SQL adapter."""

from __future__ import annotations

import abc

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic_scheduling.adapters import tables
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.staff import StaffMember


class StaffRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, member: StaffMember) -> None:
        """Store a new staff member; StaffMemberAlreadyExists when the id is taken."""

    @abc.abstractmethod
    def get(self, staff_member_id: str, *, lock: bool = False) -> StaffMember | None:
        """``lock=True`` while changing it (or, later, while assigning it): writers of one
        staff member then wait for each other (PostgreSQL)."""

    @abc.abstractmethod
    def of_role_at(self, location_id: str, role: str, *, lock: bool = False) -> list[StaffMember]:
        """The staff of a role who work at a location, in id order. ``lock=True`` locks their
        rows (in that order) for the booking's transaction: two bookings that may pick the
        same RN then count the RN's chairs one after the other (PostgreSQL)."""

    @abc.abstractmethod
    def list(self, *, limit: int, after: list | None,
             location_id: str | None = None) -> keyset.Page:
        """A page of staff members in id order, of one location when given."""


class SqlStaffRepository(StaffRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, member):
        self.session.add(member)
        try:
            self.session.flush()
        except IntegrityError:
            raise errors.StaffMemberAlreadyExists(member.staff_member_id) from None

    def get(self, staff_member_id, *, lock=False):
        if not lock:
            return self.session.get(StaffMember, staff_member_id)
        return self.session.get(StaffMember, staff_member_id, populate_existing=True,
                                with_for_update=True)

    def of_role_at(self, location_id, role, *, lock=False):
        at = tables.staff_locations
        query = select(StaffMember).where(
            StaffMember.role == role,
            StaffMember.staff_member_id.in_(
                select(at.c.staff_member_id).where(at.c.location_id == location_id))
        ).order_by(StaffMember.staff_member_id)
        if lock:
            query = query.with_for_update(of=tables.staff_members).execution_options(
                populate_existing=True)
        return list(self.session.scalars(query))

    def list(self, *, limit, after, location_id=None):
        query = select(StaffMember)
        if location_id:
            at = tables.staff_locations
            query = query.where(StaffMember.staff_member_id.in_(
                select(at.c.staff_member_id).where(at.c.location_id == location_id)))
        return keyset.fetch(self.session, query, [StaffMember.staff_member_id], after, limit)
