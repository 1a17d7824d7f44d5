"""Events: raw kafka-python produce and consume as the baseline; the relay's rate; a
consumer's throughput end to end; commit-to-effect latency at a steady rate."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

from clinic.intake.v1 import events_pb2 as intake_events
from clinic_common import envelope
from clinic_common.config import KafkaSettings
from clinic_common.publisher import KafkaPublisher, ensure_topics
from clinic_common.runtime import Runtime
from clinic_devtools.testing.processes import ServiceProcess
from clinic_intake.bootstrap import build_spec as intake_spec
from clinic_intake.config import IntakeSettings
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import create_engine, text

from benchmarks.harness import percentile

TOPIC = "clinic.intake.v1"


def _record(patient_id: str) -> tuple[bytes, list]:
    headers = envelope.to_kafka_headers(envelope.attributes(
        event_id=str(uuid.uuid4()), event_type="clinic.intake.v1.PatientRegistered",
        source="/clinic/intake", time=dt.datetime.now(dt.UTC), correlation_id="bench"))
    return intake_events.PatientRegistered(patient_id=patient_id).SerializeToString(), headers


def raw_produce_consume(bootstrap: str, events: int) -> tuple[float, float]:
    """kafka-python alone: events/s produced (acks=all, idempotent) and consumed."""
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"raw{time.time_ns()}.")
    topic = kafka.topic(TOPIC)
    ensure_topics(kafka, [topic])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    started = time.perf_counter()
    for n in range(events):
        value, headers = _record(f"raw{n}")
        producer.send(topic, key=f"raw{n}".encode(), value=value, headers=headers)
    producer.flush()
    produced = events / (time.perf_counter() - started)
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    started, seen = time.perf_counter(), 0
    for _ in consumer:
        seen += 1
        if seen == events:
            break
    consumed = seen / (time.perf_counter() - started)
    consumer.close()
    return produced, consumed


def relay(url: str, bootstrap: str, events: int) -> float:
    """The outbox relay emptying ``events`` stored events into the broker, events/s."""
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"relay{time.time_ns()}.")
    runtime = Runtime(intake_spec(), IntakeSettings(database_url=url), kafka)
    runtime.migrate()
    for start in range(0, events, 500):
        with runtime.uow() as uow:
            for n in range(start, min(events, start + 500)):
                uow.emit(intake_events.PatientRegistered(patient_id=f"p{n}"), key=f"p{n}")
            uow.commit()
    started = time.perf_counter()
    assert runtime.relay.drain(timeout=300)
    rate = events / (time.perf_counter() - started)
    assert isinstance(runtime.publisher, KafkaPublisher)
    runtime.close()
    return rate


class _Billing:
    """Billing as a process consuming intake's topic, and a way to count what it applied."""

    def __init__(self, url: str, bootstrap: str, log_dir: Path):
        self.prefix = f"ev{time.time_ns()}."
        self.url = url
        self.kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=self.prefix)
        ensure_topics(self.kafka, [self.kafka.topic(TOPIC), self.kafka.topic(
            "clinic.scheduling.v1")])
        self.process = ServiceProcess("billing", {
            "BILLING_DATABASE_URL": url, "BILLING_LOG_LEVEL": "WARNING",
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": self.prefix,
            "KAFKA_MAX_POLL_INTERVAL_MS": "5000", "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "1000"}, log_dir).start(90)
        self.engine = create_engine(url)
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)

    def send(self, patient_id: str) -> None:
        value, headers = _record(patient_id)
        self.producer.send(self.kafka.topic(TOPIC), key=patient_id.encode(), value=value,
                           headers=headers)

    def applied(self, prefix: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM accounts WHERE patient_id "
                                           "LIKE :p"), {"p": f"{prefix}%"}).scalar_one()

    def effect_times(self, prefix: str) -> dict[str, dt.datetime]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT patient_id, created_at FROM accounts "
                                           "WHERE patient_id LIKE :p"), {"p": f"{prefix}%"})
            return {r.patient_id: _instant(r.created_at) for r in rows}

    def wait_for(self, prefix: str, count: int, timeout: float = 600) -> None:
        end = time.monotonic() + timeout
        while self.applied(prefix) < count:
            if time.monotonic() > end:
                raise TimeoutError(f"{self.applied(prefix)} of {count} applied")
            time.sleep(0.05)

    def close(self) -> None:
        self.producer.close()
        self.process.terminate()
        self.engine.dispose()


def _instant(value) -> dt.datetime:
    """A stored UTC time as read back raw (SQLite gives text, PostgreSQL an aware time)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def consumer_throughput(url: str, bootstrap: str, events: int, log_dir: Path) -> float:
    """Billing applying a backlog of ``events`` registrations, events/s."""
    billing = _Billing(url, bootstrap, log_dir)
    try:
        billing.send("warm")
        billing.producer.flush()
        billing.wait_for("warm", 1, timeout=120)
        started = time.perf_counter()  # billing starts on the backlog as it is being sent
        for n in range(events):
            billing.send(f"tp{n}")
        billing.producer.flush()
        billing.wait_for("tp", events)
        return events / (time.perf_counter() - started)
    finally:
        billing.close()


def commit_to_effect(url: str, bootstrap: str, rate: int, seconds: float,
                     log_dir: Path) -> tuple[float, float]:
    """Events sent at ``rate`` per second for ``seconds``: p50 and p99 from the send to the
    account billing opened for it, in ms."""
    billing = _Billing(url, bootstrap, log_dir)
    try:
        billing.send("warm")
        billing.producer.flush()
        billing.wait_for("warm", 1, timeout=120)
        sent: dict[str, dt.datetime] = {}
        total = int(rate * seconds)
        started = time.perf_counter()
        for n in range(total):
            while time.perf_counter() - started < n / rate:
                time.sleep(0.0005)
            patient_id = f"lt{rate}x{n}"
            sent[patient_id] = dt.datetime.now(dt.UTC)
            billing.send(patient_id)
            billing.producer.flush()
        billing.wait_for(f"lt{rate}x", total)
        effects = billing.effect_times(f"lt{rate}x")
        delays = [(effects[p] - at).total_seconds() * 1000 for p, at in sent.items()]
        return percentile(delays, 0.5), percentile(delays, 0.99)
    finally:
        billing.close()
