"""Staff members over a real gRPC socket, on SQLite and PostgreSQL."""

import datetime as dt

import grpc
import pytest
from clinic.scheduling.v1 import location_pb2, staff_pb2
from clinic.scheduling.v1 import staff_service_pb2 as pb
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from tests.scheduling.helpers import reason


def _shift(location_id="la-jolla", weekday=1, start=8, end=16):
    return staff_pb2.Shift(location_id=location_id, weekday=weekday,
                           start_time=location_pb2.TimeOfDay(hours=start),
                           end_time=location_pb2.TimeOfDay(hours=end))


def _stamp(value: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _member(**fields) -> staff_pb2.StaffMember:
    values = {"display_name": "Maria Lopez, RN", "role": staff_pb2.STAFF_ROLE_RN,
              "location_ids": ["la-jolla"], "shifts": [_shift(weekday=d) for d in range(1, 6)]}
    values.update(fields)
    return staff_pb2.StaffMember(**values)


def _create(scheduling, staff_member_id="rn-maria", **fields):
    return scheduling.staff_api.CreateStaffMember(pb.CreateStaffMemberRequest(
        staff_member_id=staff_member_id, staff_member=_member(**fields))).staff_member


def test_a_created_staff_member_reads_back(scheduling):
    scheduling.create_location(roster=False)
    created = _create(scheduling)
    assert created.name == "staffMembers/rn-maria"
    assert created.role == staff_pb2.STAFF_ROLE_RN
    assert list(created.location_ids) == ["la-jolla"]
    assert [(s.weekday, s.start_time.hours, s.end_time.hours) for s in created.shifts] == \
        [(d, 8, 16) for d in range(1, 6)]
    fetched = scheduling.staff_api.GetStaffMember(
        pb.GetStaffMemberRequest(name="staffMembers/rn-maria")).staff_member
    assert fetched == created


def test_staff_are_listed_by_location(scheduling):
    scheduling.create_location(roster=False)
    scheduling.create_location("encinitas", roster=False, display_name="Encinitas")
    _create(scheduling, "rn-a")
    _create(scheduling, "rn-b", location_ids=["encinitas"],
            shifts=[_shift("encinitas")])
    _create(scheduling, "rn-c", location_ids=["la-jolla", "encinitas"],
            shifts=[_shift("la-jolla", 1), _shift("encinitas", 2)])
    at = scheduling.staff_api.ListStaffMembers(
        pb.ListStaffMembersRequest(location_id="encinitas")).staff_members
    assert [s.staff_member_id for s in at] == ["rn-b", "rn-c"]
    first = scheduling.staff_api.ListStaffMembers(pb.ListStaffMembersRequest(page_size=2))
    second = scheduling.staff_api.ListStaffMembers(pb.ListStaffMembersRequest(
        page_size=2, page_token=first.next_page_token))
    assert [s.staff_member_id for s in [*first.staff_members, *second.staff_members]] == \
        ["rn-a", "rn-b", "rn-c"]


@pytest.mark.parametrize("fields, field", [
    ({"role": 0}, "staff_member.role"),
    ({"shifts": [_shift("encinitas")]}, "staff_member.shifts.location_id"),
    ({"shifts": [_shift(start=10, end=9)]}, "staff_member.shifts"),
    ({"shifts": [_shift(start=8, end=12), _shift(start=11, end=14)]}, "staff_member.shifts"),
    ({"display_name": " "}, "staff_member.display_name"),
])
def test_a_malformed_staff_member_is_invalid_and_stores_nothing(scheduling, fields, field):
    scheduling.create_location(roster=False)
    with pytest.raises(grpc.RpcError) as refused:
        _create(scheduling, **fields)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details()
    listed = scheduling.staff_api.ListStaffMembers(pb.ListStaffMembersRequest())
    assert list(listed.staff_members) == []


def test_a_staff_member_at_an_unknown_location_is_refused(scheduling):
    with pytest.raises(grpc.RpcError) as refused:
        _create(scheduling, location_ids=["nowhere"], shifts=[])
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "LOCATION_UNKNOWN"


def test_the_same_id_twice_already_exists_and_unknown_is_not_found(scheduling):
    scheduling.create_location(roster=False)
    _create(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        _create(scheduling)
    assert reason(refused.value) == "STAFF_MEMBER_ALREADY_EXISTS"
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.staff_api.GetStaffMember(pb.GetStaffMemberRequest(name="staffMembers/nobody"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason(refused.value) == "STAFF_MEMBER_NOT_FOUND"


def test_time_off_and_shifts_are_updated_by_mask(scheduling):
    scheduling.create_location(roster=False)
    created = _create(scheduling)
    away = staff_pb2.TimeOff(start_time=_stamp(dt.datetime(2027, 3, 8, 8, tzinfo=dt.UTC)),
                             end_time=_stamp(dt.datetime(2027, 3, 13, 8, tzinfo=dt.UTC)),
                             reason="vacation")
    changed = scheduling.staff_api.UpdateStaffMember(pb.UpdateStaffMemberRequest(
        staff_member=staff_pb2.StaffMember(name=created.name, time_off=[away],
                                           shifts=[_shift(weekday=2, start=9, end=17)]),
        update_mask=FieldMask(paths=["time_off", "shifts"]))).staff_member
    assert changed.display_name == created.display_name
    assert [p.reason for p in changed.time_off] == ["vacation"]
    assert [(s.weekday, s.start_time.hours) for s in changed.shifts] == [(2, 9)]
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.staff_api.UpdateStaffMember(pb.UpdateStaffMemberRequest(
            staff_member=staff_pb2.StaffMember(name=created.name),
            update_mask=FieldMask(paths=["salary"])))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_removing_a_location_that_still_has_shifts_is_invalid(scheduling):
    scheduling.create_location(roster=False)
    created = _create(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.staff_api.UpdateStaffMember(pb.UpdateStaffMemberRequest(
            staff_member=staff_pb2.StaffMember(name=created.name, location_ids=[]),
            update_mask=FieldMask(paths=["location_ids"])))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
