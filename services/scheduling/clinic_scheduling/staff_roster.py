"""Applies the staff rosters of location files through StaffService.

Each file is the whole truth about who works at its location and their shifts there; a
person listed in several files works at each of them. What a staff member does at a
location whose file is not being applied is left as it is, and so is their time off
(kept through the API). Someone dropped from a file's roster loses that location and its
shifts, and stays on record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import grpc
from clinic.scheduling.v1 import staff_pb2
from clinic.scheduling.v1 import staff_service_pb2 as pb
from clinic.scheduling.v1 import staff_service_pb2_grpc as pb_grpc
from google.protobuf.field_mask_pb2 import FieldMask

from clinic_scheduling.entrypoints.location_files import LocationFile, LocationFileError

MANAGED = ("display_name", "role", "location_ids", "shifts")


def roster(files: Sequence[LocationFile]) -> dict[str, staff_pb2.StaffMember]:
    """Every file's staff merged by id: their locations and shifts across the files. One id
    with two names or roles is a file error."""
    merged: dict[str, staff_pb2.StaffMember] = {}
    for file in files:
        for member in file.staff:
            seen = merged.get(member.staff_member_id)
            if seen is None:
                merged[member.staff_member_id] = staff_pb2.StaffMember(
                    staff_member_id=member.staff_member_id,
                    display_name=member.display_name, role=member.role)
                seen = merged[member.staff_member_id]
            elif (seen.display_name, seen.role) != (member.display_name, member.role):
                raise LocationFileError(
                    f"{file.path}: staff {member.staff_member_id!r} has another name or role "
                    "in another location file")
            seen.location_ids.extend(member.location_ids)
            seen.shifts.extend(member.shifts)
    return merged


def apply_roster(channel: grpc.Channel, files: Sequence[LocationFile],
                 timeout: float) -> list[str]:
    """Create or update the staff of the files' rosters; one line per staff member."""
    stub = pb_grpc.StaffServiceStub(channel)
    wanted = roster(files)
    applied = {file.location_id for file in files}
    current = {m.staff_member_id: m for location_id in sorted(applied)
               for m in _listed(stub, location_id, timeout)}
    for staff_member_id in wanted.keys() - current.keys():
        found = _get(stub, staff_member_id, timeout)
        if found is not None:
            current[staff_member_id] = found
    return [_apply(stub, staff_member_id, wanted.get(staff_member_id),
                   current.get(staff_member_id), applied, timeout)
            for staff_member_id in sorted(wanted.keys() | current.keys())]


def _apply(stub, staff_member_id: str, want: staff_pb2.StaffMember | None,
           have: staff_pb2.StaffMember | None, applied: set[str], timeout: float) -> str:
    name = f"staffMembers/{staff_member_id}"
    if have is None:
        stub.CreateStaffMember(pb.CreateStaffMemberRequest(
            staff_member_id=staff_member_id, staff_member=want,
            request_id=_request_id("create", want, None)), timeout=timeout)
        return f"staff {staff_member_id} created"
    desired = staff_pb2.StaffMember(name=name, display_name=have.display_name, role=have.role)
    if want is not None:
        desired.display_name, desired.role = want.display_name, want.role
    desired.location_ids.extend(sorted(
        {i for i in have.location_ids if i not in applied}
        | set(want.location_ids if want is not None else ())))
    desired.shifts.extend([s for s in have.shifts if s.location_id not in applied])
    if want is not None:
        desired.shifts.extend(want.shifts)
    changed = [f for f in MANAGED if _value(have, f) != _value(desired, f)]
    if not changed:
        return f"staff {staff_member_id} unchanged"
    stub.UpdateStaffMember(pb.UpdateStaffMemberRequest(
        staff_member=desired, update_mask=FieldMask(paths=changed),
        request_id=_request_id("update", desired, have)), timeout=timeout)
    return f"staff {staff_member_id} updated ({', '.join(changed)})"


def _value(member: staff_pb2.StaffMember, field: str):
    value = getattr(member, field)
    if field == "location_ids":
        return sorted(value)
    if field == "shifts":
        return sorted(s.SerializeToString(deterministic=True) for s in value)
    return value


def _listed(stub, location_id: str, timeout: float) -> list[staff_pb2.StaffMember]:
    found, token = [], ""
    while True:
        page = stub.ListStaffMembers(pb.ListStaffMembersRequest(
            location_id=location_id, page_size=500, page_token=token), timeout=timeout)
        found += page.staff_members
        token = page.next_page_token
        if not token:
            return found


def _get(stub, staff_member_id: str, timeout: float) -> staff_pb2.StaffMember | None:
    try:
        return stub.GetStaffMember(pb.GetStaffMemberRequest(
            name=f"staffMembers/{staff_member_id}"), timeout=timeout).staff_member
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def _request_id(verb: str, member: staff_pb2.StaffMember,
                current: staff_pb2.StaffMember | None) -> str:
    """The same change of the same state (a retry after a timeout) is the same request."""
    digest = hashlib.sha256(member.SerializeToString(deterministic=True))
    if current is not None:
        digest.update(current.update_time.SerializeToString(deterministic=True))
    return f"apply-staff-{verb}-{member.staff_member_id or member.name}-{digest.hexdigest()[:24]}"
