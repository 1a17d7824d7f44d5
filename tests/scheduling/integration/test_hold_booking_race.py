"""A booking and a hold going for the same slot at once on PostgreSQL: exactly one wins.

A hold has no exclusion constraint behind it, so a booking that does not wait for a hold's
row locks could check the slot before the hold committed (and the hold before the booking
did), and both would take the TMS device or the provider. A booking locks the same staff and
resource rows, in the same order, as a hold placement (appointments.lock_slot)."""

import datetime as dt
import time

import grpc
import pytest
from clinic_scheduling.adapters.appointment_repository import SqlAppointmentRepository
from clinic_scheduling.adapters.hold_repository import SqlHoldRepository
from sqlalchemy import text

from tests.scheduling.helpers import reason
from tests.scheduling.integration.test_double_booking_race import THREADS, race, split
from tests.scheduling.integration.test_hold_race import START, active_holds, hold, on_postgres

__all__ = ["on_postgres"]  # the fixture, used by name

WIDENED = 0.3


@pytest.fixture
def slow_commits(monkeypatch):
    """Every booking and hold waits a while between its checks and its commit: without the
    shared locks, each of the racers would pass its checks on a free slot."""
    def slowly(add):
        def wrapper(self, item):
            add(self, item)
            time.sleep(WIDENED)
        return wrapper

    monkeypatch.setattr(SqlAppointmentRepository, "add", slowly(SqlAppointmentRepository.add))
    monkeypatch.setattr(SqlHoldRepository, "add", slowly(SqlHoldRepository.add))


def active_appointments(service) -> int:
    with service.runtime.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM appointments WHERE status = 'BOOKED'")).scalar_one()


REFUSALS = {"NO_RESOURCE_AVAILABLE", "RESOURCE_ALREADY_BOOKED", "RESOURCE_HELD",
            "NO_STAFF_AVAILABLE", "STAFF_ALREADY_BOOKED"}


@pytest.mark.parametrize("kind", [
    "TMS_SESSION",  # one device (the technicians are two)
    "FOLLOW_UP",  # one provider, no resource
])
def test_bookings_and_holds_racing_for_one_slot_leave_exactly_one(on_postgres, slow_commits,
                                                                   kind):
    # Even threads book, odd ones hold; a few minutes apart, the visits overlap.
    def attempt(i):
        start = START + dt.timedelta(minutes=i % 4 // 2 * 10)
        if i % 2:
            return hold(on_postgres, f"p{i}", kind, start)
        return on_postgres.book(f"p{i}", start, kind=kind)

    won, lost = split(race(attempt))
    assert len(won) == 1, [(e.code(), reason(e)) for e in lost]
    assert active_holds(on_postgres) + active_appointments(on_postgres) == 1
    refusals = {(e.code(), reason(e)) for e in lost}
    assert len(lost) == THREADS - 1
    assert {code for code, _ in refusals} <= {grpc.StatusCode.FAILED_PRECONDITION,
                                              grpc.StatusCode.ABORTED}, refusals
    assert {why for _, why in refusals} <= REFUSALS, refusals
