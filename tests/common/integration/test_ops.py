"""Operator commands against a real broker and a service database."""

import json
from datetime import UTC, datetime

import pytest
from clinic.intake.v1 import events_pb2
from clinic_common import envelope, ops
from clinic_common.consumer import EventProcessor, Record, dlq_topic
from clinic_common.publisher import KafkaPublisher
from clinic_common.runtime import Runtime
from clinic_devtools.testing.infra import migrated, read_topic
from clinic_intake.bootstrap import build_spec
from clinic_intake.config import IntakeSettings


@pytest.fixture
def intake_env(monkeypatch, postgres_url, kafka_settings):
    monkeypatch.setenv("INTAKE_DATABASE_URL", postgres_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_settings.bootstrap_servers)
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", kafka_settings.topic_prefix)
    runtime = Runtime(build_spec(), IntakeSettings(database_url=postgres_url), kafka_settings)
    migrated(runtime)
    yield runtime
    runtime.close()


def emit_patients(runtime, count):
    ids = []
    for n in range(count):
        with runtime.uow() as uow:
            ids.append(uow.emit(events_pb2.PatientRegistered(patient_id=f"p{n}"), key=f"p{n}"))
            uow.commit()
    return ids


def output_lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_outbox_lists_pending_events_and_replay_republishes_one_by_id(intake_env, kafka_settings,
                                                                      capsys):
    ids = emit_patients(intake_env, 3)
    assert ops.main(["outbox", "intake", "--pending"]) == 0
    assert [line["event_id"] for line in output_lines(capsys)] == ids
    assert intake_env.relay.drain(timeout=20)
    assert ops.main(["outbox", "intake", "--pending"]) == 0
    assert output_lines(capsys) == []

    assert ops.main(["replay", "intake", "--event-id", ids[1]]) == 0
    assert output_lines(capsys) == [{"replayed": 1, "topic": intake_env.topic}]
    records = read_topic(kafka_settings.servers, intake_env.topic, expected=4)
    ce_ids = [dict(r.headers)["ce_id"].decode() for r in records]
    assert sorted(ce_ids) == sorted([*ids, ids[1]])
    replayed = [r for r in records if "replayed_at" in dict(r.headers)]
    assert [dict(r.headers)["ce_id"].decode() for r in replayed] == [ids[1]]


def test_replay_by_time_range_selects_events_created_in_it(intake_env, capsys):
    before = datetime.now(UTC)
    emit_patients(intake_env, 2)
    assert ops.main(["replay", "intake", "--since", before.isoformat()]) == 0
    assert output_lines(capsys)[0]["replayed"] == 2
    assert ops.main(["replay", "intake", "--until", before.isoformat()]) == 0
    assert output_lines(capsys)[0]["replayed"] == 0


def test_replay_without_a_selection_is_refused(intake_env):
    assert ops.main(["replay", "intake"]) == 2


def test_dead_letters_are_listed_and_redriven_to_their_topic(intake_env, kafka_settings, capsys):
    topic = intake_env.topic
    publisher = KafkaPublisher(kafka_settings, topics=[topic, dlq_topic(topic)])
    processor = EventProcessor("billing", envelope.EventRegistry(events_pb2), {}, intake_env.uow,
                               publisher)
    headers = envelope.attributes(event_id="bad-1", event_type="clinic.intake.v1.PatientRegistered",
                                  source="/clinic/intake", time=datetime.now(UTC),
                                  correlation_id="c")
    processor.process(Record(topic=topic, partition=1, offset=9, key=b"p9", value=b"\xff\xff",
                             headers=envelope.to_kafka_headers(headers)))
    publisher.close()

    assert ops.main(["dlq", "list", "clinic.intake.v1"]) == 0
    [listed] = output_lines(capsys)
    assert (listed["ce_id"], listed["consumer"], listed["key"]) == ("bad-1", "billing", "p9")
    assert "not a valid" in listed["error"]

    assert ops.main(["dlq", "redrive", "clinic.intake.v1", "--at", listed["at"]]) == 0
    assert output_lines(capsys) == [{"redriven": 1}]
    [back] = read_topic(kafka_settings.servers, topic, expected=1)
    back_headers = {k: v.decode() for k, v in back.headers}
    assert back_headers["ce_id"] == "bad-1"
    assert not any(k.startswith("dlq_") for k in back_headers)
    assert back_headers["redriven_from"].startswith(dlq_topic(topic))


def test_a_database_that_was_never_migrated_is_reported_not_traced(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BILLING_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BILLING_DATABASE_URL", raising=False)
    assert ops.main(["outbox", "billing"]) == 1
    error = capsys.readouterr().err
    assert "BILLING_DATABASE_URL" in error and "migrate" in error
    assert "Traceback" not in error


def test_a_topic_without_dead_letters_lists_none(kafka_settings, monkeypatch, capsys):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_settings.bootstrap_servers)
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", kafka_settings.topic_prefix)
    assert ops.main(["dlq", "list", "clinic.never-dead.v1"]) == 0
    assert ops.main(["dlq", "redrive", "clinic.never-dead.v1", "--all"]) == 0
    assert output_lines(capsys) == [{"redriven": 0}]


def test_an_unreachable_broker_is_named_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("KAFKA_REQUEST_TIMEOUT_MS", "2000")
    assert ops.main(["dlq", "list", "clinic.intake.v1"]) == 1
    assert "KAFKA_BOOTSTRAP_SERVERS" in capsys.readouterr().err
