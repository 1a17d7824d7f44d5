"""Racing over one waitlist offer on PostgreSQL: concurrent accepts, sweeps and an accept
racing a sweep never offer the slot twice nor book it twice."""

import datetime as dt

import grpc
import pytest
from clinic.scheduling.v1 import events_pb2
from clinic.scheduling.v1 import waitlist_service_pb2 as pb
from clinic_common.runner import Runner
from clinic_scheduling.service_layer import waitlist
from sqlalchemy import text

from tests.scheduling.helpers import FakeClock, reason
from tests.scheduling.integration.test_double_booking_race import THREADS, race, split
from tests.scheduling.integration.test_waitlist import (
    AT,
    FULFILLED,
    OFFERED,
    WAITING,
    api,
    cancel,
    events,
    get,
    join,
    ready,
    running,
)


@pytest.fixture
def on_postgres(postgres_url, clock):
    service, host, channel = running(postgres_url, clock, 0)
    ready(service)
    yield service
    channel.close()
    host.stop()
    service.runtime.close()


def offered_to_p2(service):
    booked = service.book("p1", AT)
    first, second = join(service, "p2"), join(service, "p3")
    cancel(service, booked)
    assert get(service, first).state == OFFERED
    return first, second


def bookings_at_chair(service) -> int:
    with service.runtime.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM appointment_resources WHERE active AND resource_id = 'chair-1'"
        )).scalar_one()


def test_many_accepts_of_one_offer_book_it_once(on_postgres):
    entry, _ = offered_to_p2(on_postgres)
    results = race(lambda i: api(on_postgres).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=entry.name, request_id=f"accept-{i}")))
    won, lost = split(results)
    assert len(won) == 1 and won[0].waitlist_entry.state == FULFILLED
    assert {reason(e) for e in lost} <= {"ENTRY_CLOSED", "NO_OFFER", "CONCURRENT_CHANGE"}
    assert bookings_at_chair(on_postgres) == 1
    assert len(on_postgres.appointments(patient_id="p2")) == 1


def test_many_sweeps_lapse_an_offer_once_and_offer_the_slot_once(on_postgres):
    first, second = offered_to_p2(on_postgres)
    on_postgres.clock.advance(minutes=30)
    reports = race(lambda i: waitlist.sweep(on_postgres.runtime.runner,
                                            on_postgres.runtime.settings.policy()))
    assert sum(r.expired_offers for r in reports) == 1
    assert len(events(on_postgres, "WaitlistOfferExpired", events_pb2.WaitlistOfferExpired)) == 1
    made = events(on_postgres, "WaitlistOfferMade", events_pb2.WaitlistOfferMade)
    assert [e.patient_id for e, _ in made] == ["p2", "p3"]
    assert get(on_postgres, first).state == WAITING
    assert get(on_postgres, second).state == OFFERED


@pytest.mark.parametrize("round_", range(3))
def test_an_accept_racing_a_sweep_ends_the_offer_one_way(on_postgres, round_):
    entry, second = offered_to_p2(on_postgres)
    # The sweeps run on a clock past the offer's expiry; the accepts on one before it: each
    # side sees its own move as allowed, and only the database decides.
    later = FakeClock(on_postgres.clock() + dt.timedelta(minutes=31))
    sweeper = Runner(on_postgres.runtime.uow, later)
    policy = on_postgres.runtime.settings.policy()

    def attempt(i):
        if i % 2:
            return waitlist.sweep(sweeper, policy)
        return api(on_postgres).AcceptWaitlistOffer(
            pb.AcceptWaitlistOfferRequest(name=entry.name, request_id=f"a-{round_}-{i}"))

    results = race(attempt)
    accepted = [r for r in results if isinstance(r, pb.AcceptWaitlistOfferResponse)]
    expired = events(on_postgres, "WaitlistOfferExpired", events_pb2.WaitlistOfferExpired)
    released = [e for e, _ in events(on_postgres, "HoldReleased", events_pb2.HoldReleased)]
    assert len(released) == 1, "the hold ends once, one way"
    assert len(accepted) + len(expired) == 1
    if accepted:
        assert released[0].cause == events_pb2.HOLD_RELEASE_CAUSE_CONSUMED
        assert len(on_postgres.appointments(patient_id="p2")) == 1
        assert get(on_postgres, second).state == WAITING
    else:
        assert released[0].cause == events_pb2.HOLD_RELEASE_CAUSE_EXPIRED
        assert not on_postgres.appointments(patient_id="p2")
        assert get(on_postgres, second).state == OFFERED
    assert bookings_at_chair(on_postgres) == len(accepted)
    assert not [r for r in results if isinstance(r, grpc.RpcError)
                and r.code() not in (grpc.StatusCode.FAILED_PRECONDITION,
                                     grpc.StatusCode.ABORTED)]
    assert len(results) == THREADS


@pytest.mark.parametrize("round_", range(3))
def test_direct_bookings_on_an_offers_hold_racing_accepts_and_sweeps_book_it_once(
        on_postgres, round_):
    from tests.scheduling.integration.test_waitlist_closing import book_on_hold

    entry, second = offered_to_p2(on_postgres)
    hold = get(on_postgres, entry).offer.hold
    # The sweeps run on a clock past the offer's expiry, the others before it.
    later = FakeClock(on_postgres.clock() + dt.timedelta(minutes=31))
    sweeper = Runner(on_postgres.runtime.uow, later)
    policy = on_postgres.runtime.settings.policy()

    def attempt(i):
        if i % 3 == 0:
            return book_on_hold(on_postgres, "p2", hold)
        if i % 3 == 1:
            return api(on_postgres).AcceptWaitlistOffer(
                pb.AcceptWaitlistOfferRequest(name=entry.name, request_id=f"d-{round_}-{i}"))
        return waitlist.sweep(sweeper, policy)

    results = race(attempt)
    assert not [r for r in results if isinstance(r, grpc.RpcError)
                and r.code() not in (grpc.StatusCode.FAILED_PRECONDITION,
                                     grpc.StatusCode.ABORTED)], "no INTERNAL, no deadlock"
    released = [e for e, _ in events(on_postgres, "HoldReleased", events_pb2.HoldReleased)]
    assert len(released) == 1, "the hold ends once, one way"
    booked = on_postgres.appointments(patient_id="p2")
    assert bookings_at_chair(on_postgres) == len(booked) <= 1
    final = get(on_postgres, entry)
    if booked:
        assert released[0].cause == events_pb2.HOLD_RELEASE_CAUSE_CONSUMED
        assert final.state == FULFILLED and final.appointment == booked[0].name
    else:
        assert released[0].cause == events_pb2.HOLD_RELEASE_CAUSE_EXPIRED
        assert final.state == WAITING and get(on_postgres, second).state == OFFERED
