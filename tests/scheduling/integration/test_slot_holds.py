"""Slot holds over a real socket, on SQLite and PostgreSQL: a hold blocks its slot (its
resources and its staff) in searches and bookings until it expires or is released; booking
with it consumes it, on the held staff."""

import datetime as dt

import grpc
import pytest
from clinic.scheduling.v1 import appointment_pb2, events_pb2, location_pb2, staff_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import availability_service_pb2 as pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as pb_grpc
from clinic.scheduling.v1 import staff_service_pb2 as staff_api
from clinic_devtools.testing import auth

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import Scheduling, stamp, start_service
from tests.scheduling.integration.test_availability import search
from tests.scheduling.integration.test_staff_assignment import add_staff

AT = dt.datetime(2027, 3, 3, 10, 0, tzinfo=PACIFIC)
ONE_CHAIR = [location_pb2.Resource(resource_id="chair-1", display_name="c",
                                   kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)]


def api(scheduling):
    return pb_grpc.AvailabilityServiceStub(auth.authorized(
        grpc.insecure_channel(scheduling.address)))


def ready(scheduling):
    scheduling.create_location(roster=False, resources=ONE_CHAIR)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    for patient in ("p1", "p2"):
        scheduling.register(patient)
        scheduling.clear(patient)


def hold(scheduling, patient="p1", start=AT, kind="IV_KETAMINE_INFUSION"):
    return api(scheduling).CreateHold(pb.CreateHoldRequest(
        parent="locations/la-jolla", patient_id=patient, appointment_type=kind,
        start_time=stamp(start))).hold


def book_with(scheduling, patient, hold_id, start=AT, kind="IV_KETAMINE_INFUSION"):
    return scheduling.appointment_api.CreateAppointment(appt_pb.CreateAppointmentRequest(
        parent="locations/la-jolla", hold_id=hold_id, appointment=appointment_pb2.Appointment(
            patient_id=patient, appointment_type=kind,
            start_time=stamp(start)))).appointment


def starts(scheduling, kind="IV_KETAMINE_INFUSION"):
    return {s.start_time.ToDatetime(dt.UTC)
            for s in search(scheduling, kind=kind, page_size=500).slots}


def staff_of(message) -> list:
    return [(s.staff_member_id, s.role) for s in message.staff]


def test_a_hold_blocks_its_slot_until_booked_with_it(scheduling):
    ready(scheduling)
    held = hold(scheduling)
    assert held.state == "HELD" and list(held.resource_ids) == ["chair-1"]
    assert held.expire_time.ToDatetime(dt.UTC) == scheduling.clock() + dt.timedelta(minutes=5)
    assert AT.astimezone(dt.UTC) not in starts(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p2", AT)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as refused:
        book_with(scheduling, "p2", held.hold_id)
    assert reason(refused.value) == "HOLD_MISMATCH"
    booked = book_with(scheduling, "p1", held.hold_id)
    assert list(booked.resource_ids) == ["chair-1"]
    with pytest.raises(grpc.RpcError) as refused:
        book_with(scheduling, "p1", held.hold_id, AT + dt.timedelta(days=2))
    assert reason(refused.value) == "HOLD_EXPIRED"


def test_a_released_or_expired_hold_frees_the_slot(scheduling):
    ready(scheduling)
    held = hold(scheduling)
    released = api(scheduling).ReleaseHold(pb.ReleaseHoldRequest(name=held.name)).hold
    assert released.state == "RELEASED"
    assert AT.astimezone(dt.UTC) in starts(scheduling)
    hold(scheduling)
    assert AT.astimezone(dt.UTC) not in starts(scheduling)
    scheduling.clock.advance(minutes=5)
    assert AT.astimezone(dt.UTC) in starts(scheduling)
    scheduling.book("p2", AT)


def test_an_unknown_hold_is_not_found(scheduling):
    ready(scheduling)
    with pytest.raises(grpc.RpcError) as refused:
        api(scheduling).ReleaseHold(pb.ReleaseHoldRequest(name="locations/la-jolla/holds/nope"))
    assert reason(refused.value) == "HOLD_NOT_FOUND"
    with pytest.raises(grpc.RpcError) as refused:
        book_with(scheduling, "p1", "nope")
    assert reason(refused.value) == "HOLD_NOT_FOUND"


def hold_events(scheduling) -> list:
    """The hold events in the outbox, in order, as (kind, message, partition key)."""
    kinds = {"clinic.scheduling.v1.HoldPlaced": events_pb2.HoldPlaced,
             "clinic.scheduling.v1.HoldReleased": events_pb2.HoldReleased}
    return [(e.event_type.rsplit(".", 1)[1], kinds[e.event_type].FromString(e.payload),
             e.partition_key) for e in scheduling.events() if e.event_type in kinds]


def test_placing_a_hold_is_announced_with_its_slot(scheduling):
    ready(scheduling)
    held = hold(scheduling)
    assert staff_of(held) == [("rn-ana", "RN")]
    [(kind, event, key)] = hold_events(scheduling)
    assert (kind, key) == ("HoldPlaced", "p1")
    assert (event.hold_id, event.location_id, event.patient_id, event.appointment_type) == (
        held.hold_id, "la-jolla", "p1", "IV_KETAMINE_INFUSION")
    assert event.start_time.ToDatetime(dt.UTC) == AT.astimezone(dt.UTC)
    assert event.end_time.ToDatetime(dt.UTC) == AT.astimezone(dt.UTC) + dt.timedelta(minutes=90)
    assert list(event.resource_ids) == ["chair-1"]
    assert staff_of(event) == [("rn-ana", "RN")]
    assert event.expire_time == held.expire_time


def test_release_and_consumption_are_announced_with_their_cause(scheduling):
    ready(scheduling)
    first = hold(scheduling)
    api(scheduling).ReleaseHold(pb.ReleaseHoldRequest(name=first.name))
    api(scheduling).ReleaseHold(pb.ReleaseHoldRequest(name=first.name))  # changes nothing
    second = hold(scheduling)
    booked = book_with(scheduling, "p1", second.hold_id)
    released = [(e.hold_id, e.cause, e.appointment_id, key)
                for kind, e, key in hold_events(scheduling) if kind == "HoldReleased"]
    assert released == [
        (first.hold_id, events_pb2.HOLD_RELEASE_CAUSE_RELEASED, "", "p1"),
        (second.hold_id, events_pb2.HOLD_RELEASE_CAUSE_CONSUMED, booked.appointment_id, "p1")]
    consumed = [e for kind, e, _ in hold_events(scheduling) if kind == "HoldReleased"][-1]
    assert consumed.start_time.ToDatetime(dt.UTC) == AT.astimezone(dt.UTC)
    assert consumed.release_time.ToDatetime(dt.UTC) == scheduling.clock()


def test_releasing_a_hold_that_ran_out_announces_its_expiry(scheduling):
    ready(scheduling)
    held = hold(scheduling)
    scheduling.clock.advance(minutes=6)
    shown = api(scheduling).ReleaseHold(pb.ReleaseHoldRequest(name=held.name)).hold
    assert shown.state == "EXPIRED"
    [(kind, event, _)] = hold_events(scheduling)[1:]
    assert (kind, event.cause) == ("HoldReleased", events_pb2.HOLD_RELEASE_CAUSE_EXPIRED)


def one_provider(scheduling):
    """A location whose one provider, dr-kim, staffs every FOLLOW_UP (no resource)."""
    scheduling.create_location(roster=False, resources=ONE_CHAIR)
    add_staff(scheduling, "dr-kim", staff_pb2.STAFF_ROLE_PROVIDER, start=8, end=17)
    for patient in ("p1", "p2"):
        scheduling.register(patient)


def test_a_hold_keeps_the_staff_its_slot_needs_and_the_booking_on_it_gets_them(scheduling):
    one_provider(scheduling)
    held = hold(scheduling, kind="FOLLOW_UP")
    assert staff_of(held) == [("dr-kim", "PROVIDER")]
    assert AT.astimezone(dt.UTC) not in starts(scheduling, "FOLLOW_UP")
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p2", AT, kind="FOLLOW_UP")
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    # Not the exact slot: any visit overlapping it needs the held provider too.
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p2", AT + dt.timedelta(minutes=15), kind="FOLLOW_UP")
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    with pytest.raises(grpc.RpcError) as refused:
        hold(scheduling, "p2", kind="FOLLOW_UP")
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    booked = book_with(scheduling, "p1", held.hold_id, kind="FOLLOW_UP")
    assert staff_of(booked) == [("dr-kim", "PROVIDER")]


def test_released_or_expired_holds_free_their_staff(scheduling):
    one_provider(scheduling)
    held = hold(scheduling, kind="FOLLOW_UP")
    api(scheduling).ReleaseHold(pb.ReleaseHoldRequest(name=held.name))
    assert AT.astimezone(dt.UTC) in starts(scheduling, "FOLLOW_UP")
    hold(scheduling, kind="FOLLOW_UP")
    scheduling.clock.advance(minutes=5)
    assert AT.astimezone(dt.UTC) in starts(scheduling, "FOLLOW_UP")
    assert staff_of(scheduling.book("p2", AT, kind="FOLLOW_UP")) == [("dr-kim", "PROVIDER")]


@pytest.fixture
def rn_at_one_chair(database_url, clock):
    """RNs watch one chair at a time; one RN, two chairs."""
    host, runtime = start_service(database_url, clock, rn_max_chairs=1)
    channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
    service = Scheduling(channel, runtime, clock, f"127.0.0.1:{host.port}")
    service.create_location(roster=False, resources=[*ONE_CHAIR, location_pb2.Resource(
        resource_id="chair-2", display_name="c2",
        kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)])
    add_staff(service, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    for patient in ("p1", "p2"):
        service.register(patient)
        service.clear(patient)
    yield service
    channel.close()
    host.stop()
    runtime.close()


def test_a_held_infusion_counts_toward_its_rns_chairs(rn_at_one_chair):
    service = rn_at_one_chair
    held = hold(service)
    assert staff_of(held) == [("rn-ana", "RN")]
    assert AT.astimezone(dt.UTC) not in starts(service), "a chair is free, the RN is not"
    with pytest.raises(grpc.RpcError) as refused:
        service.book("p2", AT, resource_ids=["chair-2"])
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    booked = book_with(service, "p1", held.hold_id)
    assert staff_of(booked) == [("rn-ana", "RN")]


def test_a_hold_without_kept_staff_or_whose_staff_left_is_booked_on_staff_picked_again(
        scheduling):
    """A hold placed before holds kept staff has no staff rows; a held member who can no
    longer take the visit (time off added meanwhile) is replaced at booking."""
    from sqlalchemy import text

    one_provider(scheduling)
    add_staff(scheduling, "dr-lee", staff_pb2.STAFF_ROLE_PROVIDER, start=8, end=17)
    old = hold(scheduling, kind="FOLLOW_UP")
    with scheduling.runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM slot_hold_staff WHERE hold_id = :h"),
                           {"h": old.hold_id})
    first = book_with(scheduling, "p1", old.hold_id, kind="FOLLOW_UP")
    assert [role for _, role in staff_of(first)] == ["PROVIDER"]
    later = AT + dt.timedelta(hours=2)
    again = hold(scheduling, start=later, kind="FOLLOW_UP")
    [(kept, _)] = staff_of(again)
    away = staff_pb2.StaffMember(name=f"staffMembers/{kept}")
    period = away.time_off.add(reason="sick")
    period.start_time.FromDatetime(later - dt.timedelta(hours=1))
    period.end_time.FromDatetime(later + dt.timedelta(hours=1))
    scheduling.staff_api.UpdateStaffMember(staff_api.UpdateStaffMemberRequest(
        staff_member=away, update_mask={"paths": ["time_off"]}))
    booked = book_with(scheduling, "p1", again.hold_id, start=later, kind="FOLLOW_UP")
    other = ({"dr-kim", "dr-lee"} - {kept}).pop()
    assert staff_of(booked) == [(other, "PROVIDER")]
