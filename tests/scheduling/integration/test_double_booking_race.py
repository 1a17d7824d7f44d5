"""Concurrent bookings on PostgreSQL: the exclusion constraints let exactly one win."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from clinic_devtools.testing import auth
from clinic_scheduling.adapters.appointment_repository import SqlAppointmentRepository
from sqlalchemy import text

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import Scheduling, start_service

START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)
THREADS = 8


@pytest.fixture
def on_postgres(postgres_url, clock):
    host, runtime = start_service(postgres_url, clock)
    channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
    service = Scheduling(channel, runtime, clock)
    service.create_location()
    for i in range(THREADS):
        service.register(f"p{i}")
        service.clear(f"p{i}")
    yield service
    channel.close()
    host.stop()
    runtime.close()


@pytest.fixture
def checks_blind(monkeypatch):
    """Make the booking checks see nothing, so only the database can refuse."""
    monkeypatch.setattr(SqlAppointmentRepository, "busy_resources", lambda self, *a, **k: set())
    monkeypatch.setattr(SqlAppointmentRepository, "patient_is_booked", lambda self, *a, **k: False)


def race(attempt) -> list:
    """Run ``attempt(i)`` in THREADS threads released at the same instant."""
    gate = threading.Barrier(THREADS)

    def run(i):
        gate.wait()
        try:
            return attempt(i)
        except grpc.RpcError as exc:
            return exc

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def split(results):
    won = [r for r in results if not isinstance(r, grpc.RpcError)]
    lost = [r for r in results if isinstance(r, grpc.RpcError)]
    return won, lost


def active_bookings(service, resource_id="chair-1") -> int:
    with service.runtime.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM appointment_resources WHERE active AND resource_id = :r"),
            {"r": resource_id}).scalar_one()


def test_many_clients_booking_one_chair_at_once_leave_exactly_one_booking(on_postgres):
    results = race(lambda i: on_postgres.book(f"p{i}", START, resource_ids=["chair-1"]))
    won, lost = split(results)
    assert len(won) == 1
    assert {(e.code(), reason(e)) for e in lost} <= {
        (grpc.StatusCode.ABORTED, "RESOURCE_ALREADY_BOOKED"),
        (grpc.StatusCode.FAILED_PRECONDITION, "RESOURCE_ALREADY_BOOKED")}, \
        "every loser hears why, a deadlock victim too (its booking runs again)"
    assert active_bookings(on_postgres) == 1
    assert len(on_postgres.events()) == 1


def test_the_constraint_alone_stops_a_race_the_checks_cannot_see(on_postgres, checks_blind):
    results = race(lambda i: on_postgres.book(f"p{i}", START, resource_ids=["chair-1"]))
    won, lost = split(results)
    assert len(won) == 1
    assert [(e.code(), reason(e)) for e in lost] == \
        [(grpc.StatusCode.ABORTED, "RESOURCE_ALREADY_BOOKED")] * (THREADS - 1)
    assert active_bookings(on_postgres) == 1
    assert len(on_postgres.events()) == 1


def test_one_patient_booked_from_many_clients_at_once_gets_one_visit(on_postgres, checks_blind):
    results = race(lambda i: on_postgres.book("p0", START + dt.timedelta(minutes=i),
                                              kind="FOLLOW_UP"))
    won, lost = split(results)
    assert len(won) == 1
    # Concurrent inserts that all overlap can deadlock on the exclusion constraint; the
    # victim's booking runs again and then sees the winner's: every loser hears why.
    assert [(e.code(), reason(e)) for e in lost] == \
        [(grpc.StatusCode.ABORTED, "PATIENT_ALREADY_BOOKED")] * (THREADS - 1)
    assert len(on_postgres.appointments(patient_id="p0")) == 1


def test_concurrent_retries_of_one_request_all_get_the_one_booking(on_postgres, checks_blind):
    results = race(lambda i: on_postgres.book("p0", START, resource_ids=["chair-1"],
                                              request_id="same-request"))
    won, lost = split(results)
    assert lost == []
    assert len({a.appointment_id for a in won}) == 1
    assert active_bookings(on_postgres) == 1


def test_concurrent_retries_refused_by_a_check_still_get_the_one_booking(on_postgres):
    """With the checks on, a retry that starts after the first booking committed is refused
    by the check (the chair is taken), not the constraint: it still gets the booking."""
    results = race(lambda i: on_postgres.book("p0", START, resource_ids=["chair-1"],
                                              request_id="same-request-checked"))
    won, lost = split(results)
    assert lost == []
    assert len({a.appointment_id for a in won}) == 1
    assert active_bookings(on_postgres) == 1
    assert len(on_postgres.events()) == 1


def test_a_cancelled_booking_no_longer_holds_the_chair_for_the_constraint(on_postgres,
                                                                          checks_blind):
    from clinic.scheduling.v1 import appointment_pb2
    from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb

    first = on_postgres.book("p0", START, resource_ids=["chair-1"])
    with pytest.raises(grpc.RpcError) as refused:
        on_postgres.book("p1", START, resource_ids=["chair-1"])
    assert refused.value.code() == grpc.StatusCode.ABORTED
    on_postgres.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=first.name, reason="patient_request",
        initiated_by=appointment_pb2.CANCELLATION_INITIATOR_PATIENT))
    assert list(on_postgres.book("p1", START, resource_ids=["chair-1"]).resource_ids) == \
        ["chair-1"]
