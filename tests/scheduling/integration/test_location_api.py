"""Locations over a real gRPC socket, on SQLite and PostgreSQL."""

import datetime as dt

import grpc
import pytest
from clinic.scheduling.v1 import location_pb2
from clinic.scheduling.v1 import location_service_pb2 as loc_pb
from google.protobuf.field_mask_pb2 import FieldMask

from tests.scheduling.helpers import PACIFIC, reason


def count_rows(scheduling, table: str) -> int:
    from sqlalchemy import text

    with scheduling.runtime.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_created_location_reads_back_with_the_default_hours(scheduling):
    created = scheduling.create_location()
    fetched = scheduling.location_api.GetLocation(
        loc_pb.GetLocationRequest(name="locations/la-jolla"))
    assert fetched.location == created
    assert created.name == "locations/la-jolla"
    assert [(h.weekday, h.open_time.hours, h.close_time.hours) for h in created.weekly_hours] \
        == [(day, 8, 19) for day in range(1, 6)]
    assert [r.resource_id for r in created.resources] == \
        ["chair-1", "chair-2", "consult-1", "room-1", "tms-1"]


def test_a_second_location_with_the_same_id_already_exists(scheduling):
    scheduling.create_location()
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.create_location(display_name="Another")
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert reason(refused.value) == "LOCATION_ALREADY_EXISTS"


@pytest.mark.parametrize("fields, field", [
    ({"time_zone": "Mars/Olympus_Mons"}, "location.time_zone"),
    ({"resources": [location_pb2.Resource(resource_id="x", display_name="x")]},
     "location.resources.kind"),
    ({"weekly_hours": [location_pb2.OpeningHours(
        weekday=1, open_time=location_pb2.TimeOfDay(hours=25))]}, "location.weekly_hours"),
])
def test_a_malformed_location_is_invalid_and_stores_nothing(scheduling, fields, field):
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.create_location(**fields)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details()
    assert count_rows(scheduling, "locations") == 0
    assert count_rows(scheduling, "location_resources") == 0


def test_locations_are_listed_by_id_a_page_at_a_time(scheduling):
    for location_id in ["temecula", "encinitas", "la-jolla"]:
        scheduling.create_location(location_id)
    seen, token = [], ""
    while True:
        page = scheduling.location_api.ListLocations(loc_pb.ListLocationsRequest(page_size=2,
                                                                     page_token=token))
        seen += [loc.location_id for loc in page.locations]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["encinitas", "la-jolla", "temecula"]


def test_an_update_changes_only_the_masked_fields(scheduling):
    scheduling.create_location()
    scheduling.clock.advance(hours=1)
    change = location_pb2.Location(name="locations/la-jolla", display_name="La Jolla Village",
                                   time_zone="America/New_York")
    updated = scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
        location=change, update_mask=FieldMask(paths=["display_name"]))).location
    assert (updated.display_name, updated.time_zone) == ("La Jolla Village",
                                                        "America/Los_Angeles")
    assert len(updated.resources) == 5
    assert updated.update_time.ToDatetime(dt.UTC) == scheduling.clock.now


def test_an_update_to_the_same_values_leaves_update_time_alone(scheduling):
    created = scheduling.create_location()
    scheduling.clock.advance(hours=1)
    same = location_pb2.Location()
    same.CopyFrom(created)
    updated = scheduling.location_api.UpdateLocation(
        loc_pb.UpdateLocationRequest(location=same)).location
    assert updated == created


def test_a_refused_update_changes_no_field_at_all(scheduling):
    created = scheduling.create_location()
    scheduling.clock.advance(hours=1)
    change = location_pb2.Location(name=created.name, display_name="Renamed",
                                   time_zone="Nowhere/Special")
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
            location=change, update_mask=FieldMask(paths=["display_name", "time_zone"])))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert scheduling.location_api.GetLocation(
        loc_pb.GetLocationRequest(name=created.name)).location == created


def test_an_unknown_mask_path_or_location_is_refused(scheduling):
    scheduling.create_location()
    with pytest.raises(grpc.RpcError) as bad_mask:
        scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
            location=location_pb2.Location(name="locations/la-jolla"),
            update_mask=FieldMask(paths=["create_time"])))
    assert bad_mask.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as missing:
        scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
            location=location_pb2.Location(name="locations/oceanside", display_name="O"),
            update_mask=FieldMask(paths=["display_name"])))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason(missing.value) == "LOCATION_NOT_FOUND"


def test_a_resource_with_a_visit_to_come_cannot_be_removed(scheduling):
    created = scheduling.create_location()
    scheduling.register("p1")
    scheduling.clear("p1")
    scheduling.book("p1", dt.datetime(2027, 3, 2, 9, tzinfo=PACIFIC), resource_ids=["chair-2"])
    change = location_pb2.Location(name=created.name)
    change.resources.extend(r for r in created.resources if r.resource_id != "chair-2")
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
            location=change, update_mask=FieldMask(paths=["resources"])))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "RESOURCE_IN_USE"
    fetched = scheduling.location_api.GetLocation(
        loc_pb.GetLocationRequest(name=created.name)).location
    assert fetched == created
    change.resources.add(resource_id="chair-3", display_name="Chair 3",
                         kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)
    change.resources.add(resource_id="chair-2", display_name="Chair 2 (renamed)",
                         kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)
    updated = scheduling.location_api.UpdateLocation(loc_pb.UpdateLocationRequest(
        location=change, update_mask=FieldMask(paths=["resources"]))).location
    assert [r.resource_id for r in updated.resources] == \
        ["chair-1", "chair-2", "chair-3", "consult-1", "room-1", "tms-1"]


def test_a_retried_create_with_the_same_request_id_returns_the_first_result(scheduling):
    request = loc_pb.CreateLocationRequest(location_id="temecula", request_id="r-1",
                                       location=location_pb2.Location(
                                           display_name="Temecula",
                                           time_zone="America/Los_Angeles"))
    first = scheduling.location_api.CreateLocation(request).location
    again = scheduling.location_api.CreateLocation(request).location
    assert again == first
    assert count_rows(scheduling, "locations") == 1


def test_a_malformed_name_is_invalid_argument(scheduling):
    for name in ["la-jolla", "locations/", "locations/-", "locations/a/b"]:
        with pytest.raises(grpc.RpcError) as refused:
            scheduling.location_api.GetLocation(loc_pb.GetLocationRequest(name=name))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
