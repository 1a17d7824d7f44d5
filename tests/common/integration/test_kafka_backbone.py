"""The event backbone against a real Kafka-protocol broker and a real database."""

import time
import uuid

import pytest
from clinic.intake.v1 import events_pb2
from clinic_common import envelope
from clinic_common.consumer import EventProcessor, KafkaEventConsumer, dlq_topic
from clinic_common.db import make_engine, make_session_factory, new_metadata, platform_tables
from clinic_common.outbox import Outbox
from clinic_common.publisher import KafkaPublisher, ensure_topics
from clinic_common.relay import OutboxRelay
from clinic_common.unit_of_work import Platform, SqlUnitOfWork
from clinic_devtools.testing.infra import read_topic
from kafka import KafkaProducer
from sqlalchemy import Column, String, Table, func, insert, select

from tests.conftest import require_restartable

TYPE = "clinic.intake.v1.PatientRegistered"


@pytest.fixture
def backbone(kafka_settings, postgres_url):
    metadata = new_metadata()
    tables = platform_tables(metadata)
    seen = Table("seen", metadata, Column("patient_id", String(32), primary_key=True))
    engine = make_engine(postgres_url)
    metadata.create_all(engine)
    sessions = make_session_factory(engine)
    topic = kafka_settings.topic("clinic.intake.v1")
    outbox = Outbox(tables["outbox"], topic=topic, source="/clinic/intake")
    publisher = KafkaPublisher(kafka_settings, topics=[topic, dlq_topic(topic)])
    relay = OutboxRelay(outbox, sessions, publisher, poll_interval=0.05)
    platform = Platform(sessions, outbox, tables["inbox"], tables["request_log"], relay.wake)

    applied = []  # (partition key, patient id) in the order the consumer applied them

    def record_patient(message, env, uow, change):
        uow.session.execute(insert(seen).values(patient_id=message.patient_id))
        applied.append(message.patient_id)

    processor = EventProcessor("scheduling", envelope.EventRegistry(events_pb2),
                               {TYPE: record_patient}, lambda: SqlUnitOfWork(platform),
                               publisher, max_attempts=2, retry_backoff=0)
    consumer = KafkaEventConsumer(processor, [topic], kafka_settings,
                                  group_id=f"{kafka_settings.topic_prefix}scheduling")

    def count_seen():
        with sessions() as session:
            return session.execute(select(func.count()).select_from(seen)).scalar_one()

    yield {"platform": platform, "relay": relay, "consumer": consumer, "topic": topic,
           "count_seen": count_seen, "publisher": publisher, "settings": kafka_settings,
           "applied": applied}
    consumer.stop()
    relay.stop(flush_timeout=1)
    publisher.close()
    engine.dispose()


def register(platform, patient_id, key=None):
    with SqlUnitOfWork(platform) as uow:
        uow.emit(events_pb2.PatientRegistered(patient_id=patient_id), key=key or patient_id)
        uow.commit()


def wait_for(predicate, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_committed_events_reach_the_consumer_in_order(backbone):
    """Events of one key (one patient) arrive in commit order, interleaved with others."""
    backbone["relay"].start()
    backbone["consumer"].start()
    for n in range(8):
        register(backbone["platform"], f"a{n}", key="patient-a")
        register(backbone["platform"], f"b{n}", key="patient-b")
    assert wait_for(lambda: backbone["count_seen"]() == 16)
    applied = backbone["applied"]
    assert [p for p in applied if p.startswith("a")] == [f"a{n}" for n in range(8)]
    assert [p for p in applied if p.startswith("b")] == [f"b{n}" for n in range(8)]
    records = read_topic(backbone["settings"].servers, backbone["topic"], expected=16)
    assert {r.key for r in records} == {b"patient-a", b"patient-b"}
    headers = dict(records[0].headers)
    assert headers["ce_specversion"] == b"1.0" and headers["content-type"] == b"application/protobuf"


def test_redelivered_event_has_one_effect_and_malformed_one_is_dead_lettered(backbone):
    settings, topic = backbone["settings"], backbone["topic"]
    ensure_topics(settings, [topic, dlq_topic(topic)])
    producer = KafkaProducer(bootstrap_servers=settings.servers, acks="all")
    good = events_pb2.PatientRegistered(patient_id="twice").SerializeToString()
    headers = envelope.to_kafka_headers(envelope.attributes(
        event_id=str(uuid.uuid4()), event_type=TYPE, source="/clinic/intake",
        time=envelope.datetime.now(envelope.UTC), correlation_id="c"))
    bad_headers = [(k, v if k != "ce_id" else b"bad-1") for k, v in headers]
    producer.send(topic, key=b"twice", value=good, headers=headers)
    producer.send(topic, key=b"twice", value=good, headers=headers)
    producer.send(topic, key=b"bad", value=b"\xff\xff not protobuf", headers=bad_headers)
    producer.send(topic, key=b"after", value=events_pb2.PatientRegistered(
        patient_id="after").SerializeToString(), headers=[
        (k, v if k != "ce_id" else b"after-1") for k, v in headers])
    producer.flush()
    producer.close()
    backbone["consumer"].start()
    assert wait_for(lambda: backbone["count_seen"]() == 2)
    [dead] = read_topic(settings.servers, dlq_topic(topic), expected=1)
    dead_headers = {k: v.decode() for k, v in dead.headers}
    assert dead_headers["ce_id"] == "bad-1"
    assert "not a valid" in dead_headers["dlq_error"]
    assert dead_headers["dlq_consumer"] == "scheduling"


def test_after_the_broker_loses_its_log_the_consumer_reads_new_events(backbone, broker):
    require_restartable(broker)
    backbone["relay"].start()
    backbone["consumer"].start()
    register(backbone["platform"], "same-key")
    assert wait_for(lambda: backbone["count_seen"]() == 1)
    broker.stop()
    broker.start()  # in memory: topics, records and committed offsets are gone
    # Same key, same partition, same offset 0 as the record consumed before the loss.
    with SqlUnitOfWork(backbone["platform"]) as uow:
        uow.emit(events_pb2.PatientRegistered(patient_id="after-loss"), key="same-key")
        uow.commit()
    assert wait_for(lambda: backbone["count_seen"]() == 2, timeout=60)


def test_a_publisher_tells_a_lost_log_from_a_batched_one(backbone, broker):
    """Multi-record batches make the embedded broker report a log end behind the records it
    holds; only a broker that really lost them counts as loss."""
    require_restartable(broker)
    publisher, topic = backbone["publisher"], backbone["topic"]
    batch = [(topic, f"k{n % 3}", events_pb2.PatientRegistered(patient_id=f"b{n}")
              .SerializeToString(), {"ce_id": f"e{n}"}) for n in range(60)]
    assert publisher.publish_many(batch) == 60
    assert publisher.lost_published(topic) is False
    broker.stop()
    broker.start()
    assert publisher.lost_published(topic) is True
