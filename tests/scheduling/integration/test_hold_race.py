"""Concurrent holds on PostgreSQL: many clients holding the same chair, device or staff
member at once leave exactly one hold; the others are refused with the reason. A hold
locks the rows of the staff and resources it may take before its checks."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import availability_service_pb2 as pb
from clinic.scheduling.v1 import location_pb2, staff_pb2
from clinic_devtools.testing import auth
from sqlalchemy import text

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import Scheduling, stamp, start_service
from tests.scheduling.integration.test_double_booking_race import THREADS, race, split
from tests.scheduling.integration.test_slot_holds import api
from tests.scheduling.integration.test_staff_assignment import add_staff

START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)


@pytest.fixture
def on_postgres(postgres_url, clock):
    """One chair, one TMS device, two RNs, two TMS technicians, one provider."""
    host, runtime = start_service(postgres_url, clock)
    address = f"127.0.0.1:{host.port}"
    channel = auth.authorized(grpc.insecure_channel(address))
    service = Scheduling(channel, runtime, clock, address)
    service.create_location(roster=False, resources=[
        location_pb2.Resource(resource_id="chair-1", display_name="chair",
                              kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR),
        location_pb2.Resource(resource_id="tms-1", display_name="tms",
                              kind=location_pb2.RESOURCE_KIND_TMS_DEVICE)])
    for member, role in [("rn-a", staff_pb2.STAFF_ROLE_RN), ("rn-b", staff_pb2.STAFF_ROLE_RN),
                         ("tech-a", staff_pb2.STAFF_ROLE_TMS_TECHNICIAN),
                         ("tech-b", staff_pb2.STAFF_ROLE_TMS_TECHNICIAN),
                         ("dr-kim", staff_pb2.STAFF_ROLE_PROVIDER)]:
        add_staff(service, member, role)
    for i in range(THREADS):
        service.register(f"p{i}")
        service.clear(f"p{i}")
        service.clear(f"p{i}", modality=intake.MODALITY_TMS)
    yield service
    channel.close()
    host.stop()
    runtime.close()


def hold(service, patient, kind, start=START):
    return api(service).CreateHold(pb.CreateHoldRequest(
        parent="locations/la-jolla", patient_id=patient, appointment_type=kind,
        start_time=stamp(start))).hold


def active_holds(service) -> int:
    with service.runtime.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM slot_holds WHERE status = 'HELD'")).scalar_one()


@pytest.mark.parametrize("kind, refusal", [
    ("IV_KETAMINE_INFUSION", "NO_RESOURCE_AVAILABLE"),  # one chair
    ("TMS_SESSION", "NO_RESOURCE_AVAILABLE"),  # one device
    ("FOLLOW_UP", "NO_STAFF_AVAILABLE"),  # one provider, no resource
])
def test_many_clients_holding_one_slot_at_once_leave_exactly_one_hold(on_postgres, kind,
                                                                       refusal):
    # Each client a few minutes apart: the visits overlap, the starts differ.
    results = race(lambda i: hold(on_postgres, f"p{i}", kind,
                                  START + dt.timedelta(minutes=i % 2 * 15)))
    won, lost = split(results)
    assert len(won) == 1
    assert [(e.code(), reason(e)) for e in lost] == \
        [(grpc.StatusCode.FAILED_PRECONDITION, refusal)] * (THREADS - 1)
    assert active_holds(on_postgres) == 1
