"""What breaks, under load, and what the system does about it: nothing is lost or doubled,
and nobody runs a command to put it right."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import grpc
import pytest
from clinic.scheduling.v1 import events_pb2 as scheduling_events
from clinic_common import envelope
from clinic_common.consumer import dlq_topic
from clinic_devtools.testing.infra import read_topic
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from tests.conftest import IN_CI, require_restartable
from tests.e2e.conftest import eventually
from tests.faults.conftest import Load, registrations, scalar


def _accounts(stack, patient_ids) -> int:
    return scalar(stack, "billing", "select count(*) from accounts where patient_id in ("
                  + ",".join(f"'{p}'" for p in patient_ids) + ")") if patient_ids else 0


def test_broker_stopped_under_write_load(stack, broker, report):
    """Calls keep succeeding while the broker is away; every event arrives after it returns."""
    require_restartable(broker)
    with Load(registrations(stack, "bk"), deadline=10) as load:
        time.sleep(2)
        broker.stop()
        stopped = time.monotonic()
        time.sleep(5)
        broker.start()
        time.sleep(2)
    down_calls = [o for o in load.outcomes if stopped <= o.started <= stopped + 5]
    ids = {o.result for o in load.succeeded}
    assert load.failed == [] and down_calls, "calls made while the broker was down must succeed"
    eventually(lambda: _accounts(stack, ids) == len(ids), timeout=120)
    report(f"broker down 5 s, {len(load.outcomes)} registrations ({len(down_calls)} while down)",
           f"failed calls {len(load.failed)}; accounts in billing {_accounts(stack, ids)}/"
           f"{len(ids)}")


def test_service_killed_under_load_with_retrying_clients(stack, report):
    """SIGKILL intake mid-load; clients retry with their request ids. Acknowledged = stored =
    published, once each."""
    with Load(registrations(stack, "kill"), deadline=60) as load:
        time.sleep(2)
        stack.processes["intake"].kill()
        time.sleep(1)
        stack.restart("intake")
        time.sleep(2)
    acknowledged = [o.result for o in load.succeeded]
    assert load.failed == []
    assert len(set(acknowledged)) == len(acknowledged) == len(load.outcomes)
    stored = scalar(stack, "intake", "select count(*) from patients")
    assert stored == len(acknowledged)
    registered = "clinic.intake.v1.PatientRegistered"
    published = eventually(lambda: [r for r in read_topic(
        stack.kafka.servers, stack.kafka.topic("clinic.intake.v1"), expected=stored)
        if dict(r.headers)["ce_type"].decode() == registered], timeout=60)
    ids = {dict(r.headers)["ce_id"] for r in published}
    assert len(ids) == stored  # every patient's event, each once (replays keep their id)
    eventually(lambda: _accounts(stack, set(acknowledged)) == stored, timeout=120)
    report(f"intake SIGKILLed mid-load, {len(load.outcomes)} registrations with request ids",
           f"acknowledged {len(acknowledged)}, stored {stored}, published {len(ids)}, "
           f"retried calls {sum(o.tries > 1 for o in load.outcomes)}")


def _local_cluster() -> tuple[str, str] | None:
    if os.environ.get("TEST_POSTGRES_URL") or not shutil.which("pg_ctlcluster"):
        return None
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return (versions[-1], "main") if versions else None


def test_postgres_restarted_under_load(stack, report):
    """While PostgreSQL restarts, calls get UNAVAILABLE (and retry); nothing is half written
    and the services recover without a restart of their own."""
    cluster = _local_cluster()
    if cluster is None:
        if IN_CI:
            pytest.fail("CI=true: this scenario restarts the local PostgreSQL cluster")
        pytest.skip("no local PostgreSQL cluster to restart")
    pids = {name: p.process.pid for name, p in stack.processes.items()}
    with Load(registrations(stack, "pg"), deadline=60) as load:
        time.sleep(2)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart"],
                       check=True, capture_output=True, timeout=120)
        time.sleep(3)
    acknowledged = {o.result for o in load.succeeded}
    assert load.failed == [], {o.code for o in load.failed}
    assert {name: p.process.pid for name, p in stack.processes.items()} == pids
    assert all(p.process.poll() is None for p in stack.processes.values())
    stored = scalar(stack, "intake", "select count(*) from patients")
    events = scalar(stack, "intake", "select count(*) from outbox where event_type = "
                    "'clinic.intake.v1.PatientRegistered'")
    assert stored == events == len(acknowledged)
    eventually(lambda: _accounts(stack, acknowledged) == stored, timeout=120)
    report(f"PostgreSQL restarted under load, {len(load.outcomes)} registrations",
           f"acknowledged {len(acknowledged)}, stored {stored}, events {events}, "
           f"retried calls {sum(o.tries > 1 for o in load.outcomes)}, service restarts 0")


def _completed(patient_id: str, appointment_id: str) -> scheduling_events.AppointmentCompleted:
    return scheduling_events.AppointmentCompleted(
        appointment_id=appointment_id, location_id="la-jolla", patient_id=patient_id,
        appointment_type="FOLLOW_UP", service_date="2026-11-20",
        service_lines=[scheduling_events.ServiceLine(procedure_code="99213", units=1)])


def _send(stack, events, poison: set[int] = frozenset()) -> dict[int, int]:
    """Sends the events (some replaced by garbage); returns, per partition, the offset after
    the last record sent there."""
    topic = stack.kafka.topic("clinic.scheduling.v1")
    producer = KafkaProducer(bootstrap_servers=stack.kafka.servers, acks="all", linger_ms=5)
    futures = []
    for n, event in enumerate(events):
        headers = envelope.to_kafka_headers(envelope.attributes(
            event_id=str(uuid.uuid4()), event_type=event.DESCRIPTOR.full_name,
            source="/clinic/scheduling", time=envelope.datetime.now(envelope.UTC),
            correlation_id="fault"))
        value = b"\x0a\xff\xff poison" if n in poison else event.SerializeToString()
        futures.append(producer.send(topic, key=event.patient_id.encode(), value=value,
                                     headers=headers))
    producer.flush()
    ends: dict[int, int] = {}
    for future in futures:
        sent = future.get(10)
        ends[sent.partition] = max(ends.get(sent.partition, 0), sent.offset + 1)
    producer.close()
    return ends


def _lag(stack, group: str, topic: str, ends: dict[int, int]) -> int:
    """Records sent but not yet committed by the group. (The embedded broker's own log end
    offsets lag behind multi-record batches, so they cannot measure this.)"""
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka.servers, group_id=group,
                             enable_auto_commit=False)
    try:
        return sum(max(0, end - (consumer.committed(TopicPartition(topic, p)) or 0))
                   for p, end in ends.items())
    finally:
        consumer.close()


def test_poison_messages_are_dead_lettered_and_the_lag_returns_to_zero(stack, report):
    patient = stack.register_patient()
    eventually(lambda: stack.account(patient.patient_id))
    events = [_completed(patient.patient_id, f"poison-{n}") for n in range(40)]
    poison = {3, 11, 12, 30}
    ends = _send(stack, events, poison)
    expected = len(events) - len(poison)
    eventually(lambda: len(stack.charges(patient.patient_id)) == expected, timeout=90)
    dead = read_topic(stack.kafka.servers, dlq_topic(stack.kafka.topic("clinic.scheduling.v1")),
                      expected=len(poison))
    group = f"{stack.kafka.topic_prefix}billing"
    topic = stack.kafka.topic("clinic.scheduling.v1")
    assert eventually(lambda: _lag(stack, group, topic, ends) == 0, timeout=60)
    assert len(dead) == len(poison)
    report(f"{len(events)} visits with {len(poison)} poison messages among them",
           f"charges {expected}/{expected}, dead letters {len(dead)}, consumer lag 0")


def test_consumer_killed_mid_batch_loses_and_doubles_nothing(stack, report):
    patient = stack.register_patient()
    eventually(lambda: stack.account(patient.patient_id))
    total = 3000
    _send(stack, [_completed(patient.patient_id, f"kill-{n}") for n in range(total)])
    count = "select count(*) from charges where appointment_id like 'kill-%'"
    eventually(lambda: scalar(stack, "billing", count) >= 20, interval=0.02)
    stack.processes["billing"].kill()
    at_kill = scalar(stack, "billing", count)
    stack.restart("billing")
    eventually(lambda: scalar(stack, "billing", count) == total, timeout=120)
    entries = scalar(stack, "billing", "select count(*) from ledger_entries l join charges c "
                     "on l.charge_id = c.charge_id where c.appointment_id like 'kill-%'")
    distinct = scalar(stack, "billing", "select count(distinct appointment_id) from charges "
                      "where appointment_id like 'kill-%'")
    assert at_kill < total and (distinct, entries) == (total, total)
    report(f"billing SIGKILLed after {at_kill} of {total} visits, restarted",
           f"charges {total}, distinct visits {distinct}, ledger entries {entries}")


def test_sigterm_under_load_fails_no_call_in_flight(stack, report):
    intake = stack.processes["intake"]
    with Load(registrations(stack, "term"), clients=6, deadline=5) as load:
        time.sleep(2)
        signalled = time.monotonic()
        intake.process.send_signal(signal.SIGTERM)
        assert intake.process.wait(30) == 0
        time.sleep(0.5)
    # A call whose first try spans the signal either was in flight at the server (it must
    # succeed) or was sent as the server stopped taking calls (refused as new, and only
    # then: within the last moments before the signal).
    spanning = [o for o in load.outcomes if o.started < signalled < o.first_finished]
    refused_as_new = [o for o in spanning if o.first_code != grpc.StatusCode.OK]
    assert all(signalled - o.started < 0.1 for o in refused_as_new)
    # And every call the server took in, it finished.
    served = [json.loads(line) for line in intake.log_path.read_text().splitlines()
              if line.startswith("{") and '"msg": "rpc"' in line]
    assert served and {entry["code"] for entry in served} == {"OK"}
    stack.restart("intake")
    report(f"SIGTERM to intake with 6 clients calling ({len(load.outcomes)} calls)",
           f"calls the server took in {len(served)}, failed 0; calls spanning the signal "
           f"{len(spanning)}, refused as new {len(refused_as_new)}")

