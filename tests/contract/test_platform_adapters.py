"""Outbox, relay, inbox and request log: the same tests on SQLite and PostgreSQL."""

import threading
import time

import pytest
from clinic.intake.v1 import events_pb2
from clinic_common import audit, context
from clinic_common.clock import system_clock
from clinic_common.db import make_engine, make_session_factory, new_metadata, platform_tables
from clinic_common.errors import Aborted, AlreadyExists, InvalidArgument
from clinic_common.identity import Principal, Role
from clinic_common.outbox import Outbox
from clinic_common.publisher import InMemoryPublisher
from clinic_common.relay import OutboxRelay
from clinic_common.runner import RequestKey, Runner
from clinic_common.unit_of_work import Platform, SqlUnitOfWork
from sqlalchemy import Column, String, Table, insert, select


@pytest.fixture
def platform(database_url):
    metadata = new_metadata()
    tables = platform_tables(metadata)
    things = Table("things", metadata, Column("id", String(32), primary_key=True))
    engine = make_engine(database_url)
    metadata.create_all(engine)
    sessions = make_session_factory(engine)
    woken = []
    outbox = Outbox(tables["outbox"], topic="clinic.test.v1", source="/clinic/test")
    yield Platform(sessions, outbox, tables["inbox"], tables["request_log"],
                   on_commit=lambda: woken.append(1), audit_log=tables["audit_log"]), things, woken
    engine.dispose()


def add_thing(uow: SqlUnitOfWork, things: Table, thing_id: str) -> str:
    uow.session.execute(insert(things).values(id=thing_id))
    uow.emit(events_pb2.PatientRegistered(patient_id=thing_id), key=thing_id)
    return thing_id


def count(platform, table) -> int:
    with platform.session_factory() as session:
        return len(session.execute(select(table)).all())


def test_event_commits_with_the_change_and_wakes_the_relay(platform):
    plat, things, woken = platform
    with context.bound(correlation="corr-1"), SqlUnitOfWork(plat) as uow:
        add_thing(uow, things, "a")
        uow.commit()
    with plat.session_factory() as session:
        [row] = plat.outbox.pending(session, 10)
    assert row.headers["correlation_id"] == "corr-1"
    assert row.headers["ce_type"] == "clinic.intake.v1.PatientRegistered"
    assert woken == [1]


def test_event_rolls_back_with_the_change(platform):
    plat, things, woken = platform
    with SqlUnitOfWork(plat) as uow:
        add_thing(uow, things, "a")  # no commit: leaving the block rolls back
    assert count(plat, things) == 0
    assert count(plat, plat.outbox.table) == 0
    assert woken == []


def test_relay_publishes_in_commit_order_and_marks_rows_sent(platform):
    plat, things, _ = platform
    for thing_id in ["a", "b", "c"]:
        with SqlUnitOfWork(plat) as uow:
            add_thing(uow, things, thing_id)
            uow.commit()
    publisher = InMemoryPublisher()
    relay = OutboxRelay(plat.outbox, plat.session_factory, publisher)
    assert relay.publish_pending() == 3
    assert [key for _, key, _, _ in publisher.records] == ["a", "b", "c"]
    assert relay.publish_pending() == 0
    with plat.session_factory() as session:
        assert plat.outbox.count_pending(session) == 0


def test_relay_keeps_events_while_the_broker_is_down_and_sends_them_after(platform):
    plat, things, _ = platform
    with SqlUnitOfWork(plat) as uow:
        add_thing(uow, things, "a")
        uow.commit()
    publisher = InMemoryPublisher()
    publisher.down = True
    relay = OutboxRelay(plat.outbox, plat.session_factory, publisher, poll_interval=0.01)
    assert relay.drain(timeout=0.2) is False
    with plat.session_factory() as session:
        [pending] = plat.outbox.select(session)
    assert pending.event_id and publisher.records == []
    publisher.down = False
    assert relay.drain(timeout=2) is True
    assert [r[1] for r in publisher.records] == ["a"]


def test_inbox_remembers_what_a_consumer_processed(platform):
    plat, _, _ = platform
    with SqlUnitOfWork(plat) as uow:
        assert not uow.already_processed("billing", "e1")
        uow.mark_processed("billing", "e1", "T", "topic")
        uow.commit()
    with SqlUnitOfWork(plat) as uow:
        assert uow.already_processed("billing", "e1")
        assert not uow.already_processed("scheduling", "e1")


def runner(plat) -> Runner[SqlUnitOfWork]:
    return Runner(lambda: SqlUnitOfWork(plat))


def test_a_retried_request_id_returns_the_first_result_and_changes_nothing(platform):
    plat, things, _ = platform
    key = RequestKey("req-1", "fp")
    results = [runner(plat).change("AddThing", key, lambda uow, c, n=n: add_thing(
        uow, things, f"t{n}")) for n in range(2)]
    assert results == ["t0", "t0"]
    assert count(plat, things) == 1
    assert count(plat, plat.outbox.table) == 1


def test_a_request_id_reused_with_another_payload_is_refused(platform):
    plat, things, _ = platform
    runner(plat).change("AddThing", RequestKey("req-1", "fp-1"),
                        lambda uow, c: add_thing(uow, things, "a"))
    with pytest.raises(InvalidArgument) as refused:
        runner(plat).change("AddThing", RequestKey("req-1", "fp-2"),
                            lambda uow, c: add_thing(uow, things, "b"))
    assert refused.value.reason == "REQUEST_ID_REUSED"
    assert count(plat, things) == 1


def _concurrently(n: int, attempt) -> tuple[list, list]:
    results, errors = [], []
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            results.append(attempt(i))
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_concurrent_retries_of_one_request_apply_once(platform):
    plat, things, _ = platform
    results, errors = _concurrently(4, lambda n: runner(plat).change(
        "AddThing", RequestKey("req-9", "fp"), lambda uow, c: add_thing(uow, things, f"t{n}")))
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert count(plat, things) == 1


def test_a_concurrent_retry_refused_by_a_check_gets_the_winners_result(platform):
    """The loser's own check sees the winner's row and refuses; the runner answers with the
    winner's result, as for any repeat of the same request."""
    plat, things, _ = platform

    def add_once(uow, c):
        if uow.session.execute(select(things)).first() is not None:
            raise AlreadyExists("a thing exists")
        return add_thing(uow, things, "only")

    results, errors = _concurrently(4, lambda n: runner(plat).change(
        "AddOnce", RequestKey("req-7", "fp"), add_once))
    assert errors == [] and results == ["only"] * 4


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg reports for a deadlock victim


def test_a_deadlock_victim_runs_again_and_leaves_only_the_second_attempt(platform):
    """A transaction the database chose as a deadlock victim is rolled back and run again;
    the first attempt leaves no row and no event."""
    from sqlalchemy.exc import OperationalError

    plat, things, _ = platform
    attempts = []

    def add_after_a_deadlock(uow, c):
        attempts.append(c.now)
        add_thing(uow, things, f"t{len(attempts)}")
        if len(attempts) == 1:
            raise OperationalError("INSERT ...", {}, _Deadlock("deadlock detected"))
        return f"t{len(attempts)}"

    assert runner(plat).change("AddThing", RequestKey(), add_after_a_deadlock) == "t2"
    with plat.session_factory() as session:
        assert [r.id for r in session.execute(select(things))] == ["t2"]
    assert count(plat, plat.outbox.table) == 1


def test_a_change_that_keeps_losing_races_is_aborted_with_retry(platform):
    from sqlalchemy.exc import OperationalError

    plat, _, _ = platform

    def always_deadlocked(uow, c):
        raise OperationalError("INSERT ...", {}, _Deadlock("deadlock detected"))

    with pytest.raises(Aborted) as refused:
        runner(plat).change("AddThing", RequestKey(), always_deadlocked)
    assert refused.value.reason == "CONCURRENT_CHANGE"


def test_a_conflict_without_a_request_id_is_aborted(platform):
    plat, things, _ = platform
    runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "x"))
    with pytest.raises(Aborted) as refused:
        runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "x"))
    assert refused.value.reason == "CONCURRENT_CHANGE"


def test_stopping_the_relay_flushes_what_is_still_pending(platform):
    plat, things, _ = platform
    publisher = InMemoryPublisher()
    relay = OutboxRelay(plat.outbox, plat.session_factory, publisher, poll_interval=60)
    relay.start()
    for thing_id in ["a", "b"]:
        with SqlUnitOfWork(plat) as uow:  # on_commit here does not wake this relay
            add_thing(uow, things, thing_id)
            uow.commit()
    assert relay.stop(flush_timeout=5) is True
    assert [r[1] for r in publisher.records] == ["a", "b"]


def _trail() -> audit.AuditTrail:
    nurse = Principal("rn-1", frozenset({Role.NURSE}), frozenset({"la-jolla"}))
    trail = audit.AuditTrail(nurse, "/t.v1.Things/AddThing", "corr-1", "ipv4:127.0.0.1:1",
                             system_clock)
    trail.add("p1", "patients/p1")
    return trail


def test_an_audited_change_commits_with_its_row_and_only_then_counts_as_recorded(platform):
    plat, things, _ = platform
    trail = _trail()
    with audit.recording(trail):
        runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "a"))
    assert count(plat, plat.audit_log) == 1
    assert trail.pending(audit.OK)[0] == []  # written once, not again by the interceptor


def test_a_conflict_in_an_audited_call_is_aborted_and_its_refusal_is_still_recorded(platform):
    """The change is flushed before the audit rows: a lost race is ABORTED, not an audit
    failure, and the trail still owes the call its row."""
    plat, things, _ = platform
    runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "x"))
    trail = _trail()
    with audit.recording(trail), pytest.raises(Aborted):
        runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "x"))
    assert count(plat, plat.audit_log) == 0
    rows, _ = trail.pending("ABORTED", "CONCURRENT_CHANGE")
    assert [(r["patient_id"], r["outcome"]) for r in rows] == [("p1", "ABORTED")]


class _BlockingPublisher(InMemoryPublisher):
    """Holds the first publish until told to go on."""

    def __init__(self):
        super().__init__()
        self.inside, self.go_on = threading.Event(), threading.Event()

    def publish(self, topic, key, value, headers):
        self.inside.set()
        assert self.go_on.wait(10)
        super().publish(topic, key, value, headers)


def test_the_relay_holds_no_write_lock_while_it_talks_to_the_broker(platform):
    """A slow broker must not slow a call: a writer commits while a publish hangs."""
    plat, things, _ = platform
    runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "a"))
    publisher = _BlockingPublisher()
    relay = OutboxRelay(plat.outbox, plat.session_factory, publisher)
    sending = threading.Thread(target=relay.publish_pending)
    sending.start()
    try:
        assert publisher.inside.wait(5)
        started = time.monotonic()
        runner(plat).change("AddThing", RequestKey(), lambda uow, c: add_thing(uow, things, "b"))
        assert time.monotonic() - started < 2
    finally:
        publisher.go_on.set()
        sending.join(10)
    assert [r[1] for r in publisher.records] == ["a"]
    assert relay.publish_pending() == 1 and [r[1] for r in publisher.records] == ["a", "b"]


def test_what_the_broker_lost_is_published_again_in_order(platform):
    plat, things, _ = platform
    for thing_id in ["a", "b", "c"]:
        runner(plat).change("AddThing", RequestKey(), lambda uow, c, t=thing_id: add_thing(
            uow, things, t))
    publisher = InMemoryPublisher()
    relay = OutboxRelay(plat.outbox, plat.session_factory, publisher)
    assert relay.publish_pending() == 3
    assert relay.republish_if_lost() == 0  # nothing lost: nothing again
    publisher.lost = True
    assert relay.republish_if_lost() == 3
    assert relay.publish_pending() == 3
    assert [r[1] for r in publisher.records] == ["a", "b", "c", "a", "b", "c"]
    assert len({r[3]["ce_id"] for r in publisher.records}) == 3  # the same events, same ids
