"""Each booking records the staff it uses, on SQLite and PostgreSQL: an RN for an
infusion (up to SCHEDULING_RN_MAX_CHAIRS overlapping ones), a provider for a provider
visit, picked among those on shift and free; and racing bookings leave exactly one."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from clinic.common.v1 import types_pb2
from clinic.scheduling.v1 import appointment_pb2, location_pb2, staff_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import availability_service_pb2 as avail_pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as avail_grpc
from clinic.scheduling.v1 import staff_service_pb2 as staff_api
from clinic_devtools.testing import auth
from google.protobuf.timestamp_pb2 import Timestamp

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import Scheduling, start_service

WEDNESDAY_9 = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)
THREADS = 8


def add_staff(service, staff_member_id, role, start=8, end=17, days=range(1, 6),
              time_off=(), location_id="la-jolla"):
    member = staff_pb2.StaffMember(
        display_name=staff_member_id, role=role, location_ids=[location_id],
        shifts=[staff_pb2.Shift(location_id=location_id, weekday=d,
                                start_time=location_pb2.TimeOfDay(hours=start),
                                end_time=location_pb2.TimeOfDay(hours=end)) for d in days])
    for begin, finish in time_off:
        period = member.time_off.add(reason="away")
        period.start_time.FromDatetime(begin)
        period.end_time.FromDatetime(finish)
    return service.staff_api.CreateStaffMember(staff_api.CreateStaffMemberRequest(
        staff_member_id=staff_member_id, staff_member=member)).staff_member


def chairs(count):
    return [location_pb2.Resource(resource_id=f"chair-{i}", display_name=f"chair {i}",
                                  kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)
            for i in range(1, count + 1)] + [
        location_pb2.Resource(resource_id="consult-1", display_name="consult",
                              kind=location_pb2.RESOURCE_KIND_CONSULT_ROOM)]


@pytest.fixture
def at_ratio(database_url, clock):
    """A service whose RNs watch at most one chair, with one RN and eight chairs."""
    host, runtime = start_service(database_url, clock, rn_max_chairs=1)
    channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
    service = Scheduling(channel, runtime, clock)
    service.create_location(roster=False, resources=chairs(THREADS))
    add_staff(service, "rn-ana", staff_pb2.STAFF_ROLE_RN)
    add_staff(service, "dr-marsh", staff_pb2.STAFF_ROLE_PROVIDER)
    for i in range(THREADS):
        service.register(f"p{i}")
        service.clear(f"p{i}")
    yield service
    channel.close()
    host.stop()
    runtime.close()


def patients(service, count=3):
    for i in range(count):
        service.register(f"p{i}")
        service.clear(f"p{i}")


def staff_of(appointment):
    return [(s.staff_member_id, s.role) for s in appointment.staff]


def test_an_infusion_records_the_rn_on_shift(scheduling):
    scheduling.create_location(roster=False)
    add_staff(scheduling, "rn-late", staff_pb2.STAFF_ROLE_RN, start=12, end=19)
    add_staff(scheduling, "rn-early", staff_pb2.STAFF_ROLE_RN, start=8, end=12)
    patients(scheduling, 1)
    booked = scheduling.book("p0", WEDNESDAY_9)
    assert staff_of(booked) == [("rn-early", "RN")]


def test_one_rn_watches_up_to_the_configured_chairs(scheduling):
    scheduling.create_location(roster=False)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN)
    patients(scheduling, 3)
    first = scheduling.book("p0", WEDNESDAY_9)
    second = scheduling.book("p1", WEDNESDAY_9 + dt.timedelta(minutes=30))
    assert staff_of(first) == staff_of(second) == [("rn-ana", "RN")]


def test_an_rn_at_the_ratio_is_not_picked_and_a_cancellation_frees_her(at_ratio):
    first = at_ratio.book("p0", WEDNESDAY_9)
    with pytest.raises(grpc.RpcError) as refused:
        at_ratio.book("p1", WEDNESDAY_9 + dt.timedelta(minutes=30))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    at_ratio.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=first.name, reason="sick", initiated_by=appointment_pb2.CANCELLATION_INITIATOR_PATIENT))
    again = at_ratio.book("p1", WEDNESDAY_9 + dt.timedelta(minutes=30))
    assert staff_of(again) == [("rn-ana", "RN")]


def test_a_provider_visit_needs_a_provider_on_shift_and_not_away(scheduling):
    scheduling.create_location(roster=False)
    away = (dt.datetime(2027, 3, 4, 0, tzinfo=PACIFIC), dt.datetime(2027, 3, 5, 0, tzinfo=PACIFIC))
    add_staff(scheduling, "dr-marsh", staff_pb2.STAFF_ROLE_PROVIDER, start=8, end=12,
              time_off=[away])
    scheduling.register("p0")
    booked = scheduling.book("p0", WEDNESDAY_9, kind="FOLLOW_UP")
    assert staff_of(booked) == [("dr-marsh", "PROVIDER")]
    scheduling.register("p1")
    for patient_id, when in [("p0", WEDNESDAY_9.replace(hour=13)),      # after her shift
                             ("p0", WEDNESDAY_9 + dt.timedelta(days=1)),  # on time off
                             ("p1", WEDNESDAY_9 + dt.timedelta(minutes=15))]:  # busy
        with pytest.raises(grpc.RpcError) as refused:
            scheduling.book(patient_id, when, kind="FOLLOW_UP")
        assert reason(refused.value) == "NO_STAFF_AVAILABLE", when


def test_a_reschedule_picks_the_staff_again_for_the_new_time(scheduling):
    scheduling.create_location(roster=False)
    add_staff(scheduling, "rn-early", staff_pb2.STAFF_ROLE_RN, start=8, end=12)
    add_staff(scheduling, "rn-late", staff_pb2.STAFF_ROLE_RN, start=12, end=19)
    patients(scheduling, 1)
    booked = scheduling.book("p0", WEDNESDAY_9)
    moved_to = Timestamp()
    moved_to.FromDatetime(WEDNESDAY_9.replace(hour=14))
    moved = scheduling.appointment_api.RescheduleAppointment(appt_pb.RescheduleAppointmentRequest(
        name=booked.name, start_time=moved_to)).appointment
    assert staff_of(moved) == [("rn-late", "RN")]


def race(attempt) -> list:
    gate = threading.Barrier(THREADS)

    def run(i):
        gate.wait()
        try:
            return attempt(i)
        except grpc.RpcError as exc:
            return exc

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.mark.parametrize("contest, why", [
    ("chair", {"RESOURCE_ALREADY_BOOKED"}),
    ("rn", {"NO_STAFF_AVAILABLE"}),
    ("patient", {"PATIENT_ALREADY_BOOKED"}),
    # The provider rows are locked as a hold locks them (appointments.lock_slot); the
    # exclusion constraint still refuses any loser whose checks ran before the winner
    # committed.
    ("provider", {"NO_STAFF_AVAILABLE", "STAFF_ALREADY_BOOKED"}),
])
def test_many_clients_racing_for_one_chair_rn_or_patient_leave_exactly_one(at_ratio, contest,
                                                                           why):
    def attempt(i):
        return at_ratio.book("p0" if contest == "patient" else f"p{i}", WEDNESDAY_9,
                             resource_ids=["chair-1"] if contest == "chair" else (),
                             kind="FOLLOW_UP" if contest == "provider" else
                             "IV_KETAMINE_INFUSION")

    results = race(attempt)
    won = [r for r in results if not isinstance(r, grpc.RpcError)]
    lost = [r for r in results if isinstance(r, grpc.RpcError)]
    assert len(won) == 1
    assert lost and {reason(e) for e in lost} <= why
    assert {e.code() for e in lost} <= {grpc.StatusCode.FAILED_PRECONDITION,
                                        grpc.StatusCode.ABORTED}
    assert len(at_ratio.appointments()) == 1
    assert len(at_ratio.events()) == 1


def test_a_retry_with_the_same_request_id_returns_the_first_booking_with_its_staff(at_ratio):
    first = at_ratio.book("p0", WEDNESDAY_9, request_id="r-1")
    again = at_ratio.book("p0", WEDNESDAY_9, request_id="r-1")
    assert again == first
    assert staff_of(first) == [("rn-ana", "RN")]


def test_without_staff_of_a_role_at_the_location_nothing_of_that_need_is_booked(scheduling):
    # No RN on record at the location: an IV infusion is refused, not booked unstaffed, and
    # a search finds no slot for it; a provider visit is booked with the provider there.
    scheduling.create_location(roster=False)
    add_staff(scheduling, "dr-marsh", staff_pb2.STAFF_ROLE_PROVIDER)
    patients(scheduling, 1)
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p0", WEDNESDAY_9)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "NO_STAFF_AVAILABLE")
    assert "RN" in refused.value.details()
    assert scheduling.appointments() == []
    wednesday = types_pb2.Date(year=2027, month=3, day=3)
    found = avail_grpc.AvailabilityServiceStub(auth.authorized(grpc.insecure_channel(
        scheduling.address))).SearchAvailability(avail_pb.SearchAvailabilityRequest(
            appointment_type="IV_KETAMINE_INFUSION", start_date=wednesday, end_date=wednesday,
            page_size=5))
    assert list(found.slots) == []
    assert staff_of(scheduling.book("p0", WEDNESDAY_9, kind="FOLLOW_UP")) == \
        [("dr-marsh", "PROVIDER")]
