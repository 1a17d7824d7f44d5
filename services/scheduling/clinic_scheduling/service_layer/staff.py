"""Staff use cases, run by the shared runner."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.staff import StaffDetails, StaffMember
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


@dataclass(frozen=True)
class CreateStaffMember:
    staff_member_id: str
    details: StaffDetails
    key: RequestKey = NO_KEY


@dataclass(frozen=True)
class UpdateStaffMember:
    staff_member_id: str
    details: StaffDetails
    fields: frozenset[str]
    key: RequestKey = NO_KEY


def create_staff_member(cmd: CreateStaffMember, runner: Runner[SchedulingUnitOfWork]) -> str:
    """Creates a staff member; returns the id."""
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        if uow.staff.get(cmd.staff_member_id) is not None:
            raise errors.StaffMemberAlreadyExists(cmd.staff_member_id)
        member = StaffMember.create(cmd.staff_member_id, cmd.details, c.now)
        _require_known_locations(uow, member.location_ids)
        uow.staff.add(member)
        return member.staff_member_id

    return runner.change("CreateStaffMember", cmd.key, action)


def update_staff_member(cmd: UpdateStaffMember, runner: Runner[SchedulingUnitOfWork]) -> str:
    """Changes the masked fields; unchanged values leave the row (and update_time) alone."""
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        member = uow.staff.get(cmd.staff_member_id, lock=True)
        if member is None:
            raise errors.StaffMemberNotFound(cmd.staff_member_id)
        if "location_ids" in cmd.fields:
            cmd.details.validate({"location_ids"})
            _require_known_locations(uow, list(cmd.details.location_ids))
        member.change(cmd.details, set(cmd.fields), c.now)
        return member.staff_member_id

    return runner.change("UpdateStaffMember", cmd.key, action)


def _require_known_locations(uow: SchedulingUnitOfWork, location_ids: list[str]) -> None:
    for location_id in location_ids:
        if uow.locations.get(location_id) is None:
            raise errors.LocationUnknown(location_id)


def get_staff_member(staff_member_id: str, runner: Runner[SchedulingUnitOfWork]) -> StaffMember:
    def query(uow: SchedulingUnitOfWork) -> StaffMember:
        member = uow.staff.get(staff_member_id)
        if member is None:
            raise errors.StaffMemberNotFound(staff_member_id)
        return member

    return runner.read(query)


def list_staff_members(runner: Runner[SchedulingUnitOfWork], *, limit: int, after: list | None,
                       location_id: str | None) -> keyset.Page:
    return runner.read(lambda uow: uow.staff.list(limit=limit, after=after,
                                                  location_id=location_id))
