"""A staff member is needed only during the parts of a visit that need their role, on
SQLite and PostgreSQL over gRPC: with one chair per RN, the RN of an IV infusion takes the
next chair once the infusion part ends while the first chair stays held in recovery."""

import datetime as dt

import grpc
import pytest
from clinic.common.v1 import types_pb2
from clinic.scheduling.v1 import appointment_type_pb2 as PK
from clinic.scheduling.v1 import appointment_type_service_pb2 as type_pb
from clinic.scheduling.v1 import availability_service_pb2 as avail_pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as avail_grpc
from clinic.scheduling.v1 import location_pb2, staff_pb2
from clinic_devtools.testing import auth
from google.protobuf import field_mask_pb2

from tests.scheduling.helpers import reason
from tests.scheduling.integration.conftest import Scheduling, start_service
from tests.scheduling.integration.test_staff_assignment import WEDNESDAY_9, add_staff, chairs

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def at_ratio(database_url, clock):
    """A service whose RNs watch at most one chair, with one RN and three chairs."""
    host, runtime = start_service(database_url, clock, rn_max_chairs=1)
    address = f"127.0.0.1:{host.port}"
    channel = auth.authorized(grpc.insecure_channel(address))
    service = Scheduling(channel, runtime, clock, address)
    service.create_location(roster=False, resources=chairs(3))
    add_staff(service, "rn-ana", staff_pb2.STAFF_ROLE_RN)
    for i in range(2):
        service.register(f"p{i}")
        service.clear(f"p{i}")
    yield service
    channel.close()
    host.stop()
    runtime.close()


def staff_of(appointment):
    return [(s.staff_member_id, s.role) for s in appointment.staff]


def test_the_rn_takes_the_next_chair_once_the_infusion_part_ends(at_ratio):
    first = at_ratio.book("p0", WEDNESDAY_9)
    with pytest.raises(grpc.RpcError) as refused:
        at_ratio.book("p1", WEDNESDAY_9 + 44 * MIN)
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    second = at_ratio.book("p1", WEDNESDAY_9 + 45 * MIN)
    assert staff_of(first) == staff_of(second) == [("rn-ana", "RN")]
    # The first patient's chair is still held through recovery: the second got another.
    assert list(first.resource_ids) != list(second.resource_ids)
    assert first.end_time.ToDatetime(dt.UTC) == (WEDNESDAY_9 + 90 * MIN).astimezone(dt.UTC)


def test_the_search_offers_the_rn_again_after_the_infusion_part(at_ratio):
    at_ratio.book("p0", WEDNESDAY_9)
    stub = avail_grpc.AvailabilityServiceStub(auth.authorized(
        grpc.insecure_channel(at_ratio.address)))
    day = types_pb2.Date(year=2027, month=3, day=3)
    found = stub.SearchAvailability(avail_pb.SearchAvailabilityRequest(
        appointment_type="IV_KETAMINE_INFUSION", start_date=day, end_date=day, page_size=12,
        location_ids=["la-jolla"]))
    starts = [s.local_start_time[11:16] for s in found.slots]
    # The RN is busy 09:00-09:45 (the infusion part) only: a slot whose infusion part
    # overlaps it is not offered; one whose recovery does is.
    assert starts[:4] == ["08:00", "08:15", "09:45", "10:00"]
    assert all([(s.staff_member_id, s.role) for s in slot.staff] == [("rn-ana", "RN")]
               for slot in found.slots)


def test_with_the_rn_through_recovery_she_is_busy_for_the_whole_visit(at_ratio):
    chair = location_pb2.RESOURCE_KIND_INFUSION_CHAIR
    at_ratio.type_api.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
        appointment_type=PK.AppointmentType(name="appointmentTypes/IV_KETAMINE_INFUSION",
                                            parts=[
            PK.AppointmentTypePart(kind=PK.APPOINTMENT_TYPE_PART_KIND_INFUSION, minutes=45,
                                   resource_kinds=[chair], staff_roles=["RN"]),
            PK.AppointmentTypePart(kind=PK.APPOINTMENT_TYPE_PART_KIND_RECOVERY, minutes=45,
                                   resource_kinds=[chair], staff_roles=["RN"])]),
        update_mask=field_mask_pb2.FieldMask(paths=["parts"])))
    at_ratio.book("p0", WEDNESDAY_9)
    with pytest.raises(grpc.RpcError) as refused:
        at_ratio.book("p1", WEDNESDAY_9 + 45 * MIN)
    assert reason(refused.value) == "NO_STAFF_AVAILABLE"
    assert staff_of(at_ratio.book("p1", WEDNESDAY_9 + 90 * MIN)) == [("rn-ana", "RN")]
