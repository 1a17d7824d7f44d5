"""StaffService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

import datetime as dt

from clinic.scheduling.v1 import location_pb2, staff_pb2
from clinic.scheduling.v1 import staff_service_pb2 as pb
from clinic.scheduling.v1 import staff_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import Name
from clinic_common.protoconv import EnumMap, timestamp
from clinic_common.runner import RequestKey

from clinic_scheduling.domain.location_details import check_slug
from clinic_scheduling.domain.staff import FIELDS, ShiftSpec, StaffDetails, StaffMember, TimeOffSpec
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.service_layer import staff

STAFF_MEMBER = Name("staffMembers/{staff_member}")
ROLES = EnumMap(staff_pb2.StaffRole)


def _time(message: location_pb2.TimeOfDay, field: str) -> dt.time:
    if not (0 <= message.hours <= 23 and 0 <= message.minutes <= 59):
        raise FieldViolation(field, "hours must be 0-23 and minutes 0-59")
    return dt.time(message.hours, message.minutes)


def details_from_proto(message: staff_pb2.StaffMember) -> StaffDetails:
    return StaffDetails(
        display_name=message.display_name, role=ROLES.to_domain(message.role, "staff_member.role"),
        location_ids=tuple(message.location_ids),
        shifts=tuple(ShiftSpec(s.location_id, int(s.weekday),
                               _time(s.start_time, "staff_member.shifts.start_time"),
                               _time(s.end_time, "staff_member.shifts.end_time"))
                     for s in message.shifts),
        time_off=tuple(TimeOffSpec(m.instant(p.start_time, "staff_member.time_off.start_time"),
                                   m.instant(p.end_time, "staff_member.time_off.end_time"),
                                   p.reason)
                       for p in message.time_off))


def _tod(value: dt.time) -> location_pb2.TimeOfDay:
    return location_pb2.TimeOfDay(hours=value.hour, minutes=value.minute)


def staff_member_to_proto(member: StaffMember) -> staff_pb2.StaffMember:
    return staff_pb2.StaffMember(
        name=STAFF_MEMBER.format(member.staff_member_id),
        staff_member_id=member.staff_member_id, display_name=member.display_name,
        role=ROLES.to_proto(member.role), location_ids=member.location_ids,
        shifts=[staff_pb2.Shift(location_id=s.location_id, weekday=s.weekday,
                                start_time=_tod(s.start_time), end_time=_tod(s.end_time))
                for s in sorted(member.shifts,
                                key=lambda s: (s.weekday, s.start_time, s.location_id))],
        time_off=[staff_pb2.TimeOff(start_time=timestamp(p.start_time),
                                    end_time=timestamp(p.end_time), reason=p.reason)
                  for p in sorted(member.time_off, key=lambda p: p.start_time)],
        create_time=timestamp(member.created_at), update_time=timestamp(member.updated_at))


class StaffServicer(pb_grpc.StaffServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def CreateStaffMember(self, request, context):
        staff_member_id = request.staff_member_id
        staff.create_staff_member(staff.CreateStaffMember(
            staff_member_id=staff_member_id, details=details_from_proto(request.staff_member),
            key=RequestKey.of(request)), self.runner)
        return pb.CreateStaffMemberResponse(staff_member=self._member(staff_member_id))

    def GetStaffMember(self, request, context):
        return pb.GetStaffMemberResponse(
            staff_member=self._member(STAFF_MEMBER.parse_one(request.name)))

    def ListStaffMembers(self, request, context):
        want = paging.page_request(request)
        location_id = check_slug(request.location_id, "location_id") \
            if request.location_id else None
        page = staff.list_staff_members(self.runner, limit=want.size, after=want.after,
                                        location_id=location_id)
        return pb.ListStaffMembersResponse(
            staff_members=[staff_member_to_proto(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdateStaffMember(self, request, context):
        staff_member_id = STAFF_MEMBER.parse_one(request.staff_member.name, "staff_member.name")
        paths = set(request.update_mask.paths) or set(FIELDS)
        unknown = sorted(paths - set(FIELDS))
        if unknown:
            raise FieldViolation("update_mask", f"cannot update {', '.join(unknown)}; "
                                 f"updatable: {', '.join(FIELDS)}")
        staff.update_staff_member(staff.UpdateStaffMember(
            staff_member_id=staff_member_id, details=details_from_proto(request.staff_member),
            fields=frozenset(paths), key=RequestKey.of(request)), self.runner)
        return pb.UpdateStaffMemberResponse(staff_member=self._member(staff_member_id))

    def _member(self, staff_member_id: str):
        return staff_member_to_proto(staff.get_staff_member(staff_member_id, self.runner))
