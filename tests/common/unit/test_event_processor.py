"""The consumer's processing rules: effect once, bounded retries, dead letters."""

from datetime import UTC, datetime

import pytest
from clinic.intake.v1 import events_pb2
from clinic_common import envelope, metrics
from clinic_common.consumer import EventProcessor, Record
from clinic_common.errors import FailedPrecondition
from clinic_common.publisher import InMemoryPublisher, PublishError

from tests.common.unit.fakes import FakeUnitOfWork

TOPIC = "clinic.intake.v1"
TYPE = "clinic.intake.v1.PatientRegistered"


def record(event_id="e-1", patient_id="p1", value=None, offset=0, **header_overrides) -> Record:
    headers = envelope.attributes(event_id=event_id, event_type=TYPE, source="/clinic/intake",
                                  time=datetime.now(UTC), correlation_id="c-1")
    headers.update(header_overrides)
    payload = value if value is not None else \
        events_pb2.PatientRegistered(patient_id=patient_id).SerializeToString()
    return Record(topic=TOPIC, partition=0, offset=offset, key=patient_id.encode(), value=payload,
                  headers=envelope.to_kafka_headers(headers))


def make_processor(handler, store, dead_letters=None, attempts=3):
    return EventProcessor("billing", envelope.EventRegistry(events_pb2), {TYPE: handler},
                          lambda: FakeUnitOfWork(store), dead_letters or InMemoryPublisher(),
                          max_attempts=attempts, retry_backoff=0)


def test_an_event_delivered_twice_has_one_effect():
    store = {}
    processor = make_processor(lambda msg, env, uow, change: uow.apply(msg.patient_id), store)
    assert processor.process(record()) == "handled"
    assert processor.process(record()) == "duplicate"
    assert store["effects"] == ["p1"]


def test_a_transient_failure_is_retried_and_applied_once():
    store, calls = {}, []

    def flaky(msg, env, uow, change):
        calls.append(1)
        uow.apply(msg.patient_id)
        if len(calls) < 3:
            raise ConnectionError("database went away")

    assert make_processor(flaky, store).process(record()) == "handled"
    assert len(calls) == 3
    assert store["effects"] == ["p1"]


def test_a_message_that_keeps_failing_goes_to_the_dead_letter_topic_with_its_error():
    store, dlq = {}, InMemoryPublisher()

    def broken(msg, env, uow, change):
        uow.apply("partial")
        raise ValueError("cannot apply")

    assert make_processor(broken, store, dlq, attempts=3).process(record(offset=7)) == \
        "dead-lettered"
    assert "effects" not in store or store["effects"] == []
    [(topic, key, value, headers)] = dlq.records
    assert topic == "clinic.intake.v1.dlq"
    assert key == "p1"
    assert headers["dlq_error"] == "ValueError: cannot apply"
    assert headers["dlq_attempts"] == "3"
    assert headers["dlq_source_offset"] == "7"
    assert headers["ce_id"] == "e-1"  # the original attributes stay, for a later re-drive


def test_a_domain_refusal_is_dead_lettered_without_retrying():
    calls, dlq = [], InMemoryPublisher()

    def refuse(msg, env, uow, change):
        calls.append(1)
        raise FailedPrecondition("no such location", reason="LOCATION_UNKNOWN")

    dead_letters = metrics.DEAD_LETTERS.labels("billing", TOPIC)
    before = dead_letters._value.get()
    assert make_processor(refuse, {}, dlq, attempts=5).process(record()) == "dead-lettered"
    assert len(calls) == 1
    assert dlq.records[0][3]["dlq_error_class"] == "FailedPrecondition"
    assert dead_letters._value.get() == before + 1  # the clinic_dead_letters_total metric


def test_a_malformed_payload_is_dead_lettered_and_never_handled():
    handled, dlq = [], InMemoryPublisher()
    processor = make_processor(lambda m, e, u, c: handled.append(m), {}, dlq)
    assert processor.process(record(value=b"\xff\xfe garbage")) == "dead-lettered"
    assert handled == []
    assert "not a valid" in dlq.records[0][3]["dlq_error"]


def test_an_event_type_without_a_handler_is_ignored():
    dlq = InMemoryPublisher()
    processor = make_processor(lambda m, e, u, c: None, {}, dlq)
    assert processor.process(record(ce_type="clinic.intake.v1.PatientUpdated",
                                     value=b"")) == "ignored"
    assert processor.process(record(ce_type="clinic.other.v9.Unknown")) == "ignored"
    assert dlq.records == []


def test_when_the_dead_letter_cannot_be_written_the_error_surfaces():
    dlq = InMemoryPublisher()
    dlq.down = True
    processor = make_processor(lambda m, e, u, c: None, {}, dlq)
    with pytest.raises(PublishError):
        processor.process(record(value=b"\xff"))


def test_a_batch_is_applied_in_one_transaction_in_order_each_event_once():
    store, commits = {}, []
    processor = make_processor(lambda msg, env, uow, change: uow.apply(msg.patient_id), store)
    processor.process(record("e-0", "p0"))
    batch = [record("e-0", "p0"), record("e-1", "p1", offset=1), record("e-2", "p2", offset=2),
             record("e-1", "p1", offset=3)]
    original = FakeUnitOfWork.commit
    try:
        FakeUnitOfWork.commit = lambda self: (commits.append(len(self._pending)),
                                              original(self))
        assert processor.process_batch(batch) == ["duplicate", "handled", "handled",
                                                   "duplicate"]
    finally:
        FakeUnitOfWork.commit = original
    assert commits == [2]  # one commit for the batch
    assert store["effects"] == ["p0", "p1", "p2"]
    assert store["prepared"] == [["p1", "p2"]]  # the keys still to apply, once each, sorted


def test_a_batch_with_a_bad_record_goes_one_at_a_time():
    """The batch rolls back whole; then each record gets its own try: the good ones apply,
    the refused one is dead-lettered, the undecodable one too."""
    store, dlq = {}, InMemoryPublisher()

    def refuse_p2(msg, env, uow, change):
        if msg.patient_id == "p2":
            raise FailedPrecondition("no", reason="NOPE")
        uow.apply(msg.patient_id)

    processor = make_processor(refuse_p2, store, dlq)
    batch = [record("e-1", "p1"), record("e-2", "p2", offset=1),
             record("e-3", "p3", offset=2, value=b"\xff\xff"), record("e-4", "p4", offset=3)]
    assert processor.process_batch(batch) == ["handled", "dead-lettered", "dead-lettered",
                                              "handled"]
    assert store["effects"] == ["p1", "p4"]
    assert len(dlq.records) == 2
