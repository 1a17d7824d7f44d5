"""Consumes events with effect-once semantics, retries and a dead-letter topic.

For each record: decode the CloudEvents envelope; if this consumer already
processed the event id (inbox), skip it; otherwise run the handler and record
the event id in the same transaction. Offsets are committed only after that
transaction, so a crash replays records and the inbox turns replays into no-ops.
A record that keeps failing (or cannot be decoded) goes to ``<topic>.dlq`` with
the error in its headers, and the partition moves on.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import Message
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from sqlalchemy.exc import InterfaceError, OperationalError

from clinic_common import context, identity, metrics, tracing
from clinic_common.clock import Clock, system_clock
from clinic_common.config import KafkaSettings
from clinic_common.envelope import Envelope, EventRegistry, MalformedEvent, from_kafka_headers
from clinic_common.errors import ClinicError, Unavailable
from clinic_common.publisher import EventPublisher, PublishError, ensure_topics
from clinic_common.runner import Change
from clinic_common.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

# A handler applies one event in the consumer's unit of work, as the service itself
# (``change.actor`` is ``service:<name>``); it never commits.
Handler = Callable[[Message, Envelope, SqlUnitOfWork, Change], None]


# How often an idle consumer checks that its positions are still inside the logs.
LOG_CHECK_INTERVAL_S = 5.0


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


@dataclass(frozen=True)
class Record:
    """The parts of a Kafka record the processor needs (also what tests feed it)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


class PermanentFailure(Exception):
    """The record can never succeed; send it to the dead letters without retrying."""


class RetryLater(Exception):
    """The record could not be applied because something it needs is down (the database):
    it is not the record's fault, so it is neither dead-lettered nor skipped."""


# Failures of the service's own infrastructure, not of the event.
UNAVAILABLE = (OperationalError, InterfaceError, Unavailable)


class EventProcessor:
    """Handles one record at a time: inbox check, handler, inbox record, one commit."""

    def __init__(self, name: str, registry: EventRegistry, handlers: dict[str, Handler],
                 uow_factory: Callable[[], SqlUnitOfWork], dead_letters: EventPublisher,
                 *, max_attempts: int = 5, retry_backoff: float = 0.2,
                 clock: Clock = system_clock):
        self.name = name
        self.clock = clock
        self.principal = identity.Principal.service(name)
        self.registry = registry
        self.handlers = handlers
        self.uow_factory = uow_factory
        self.dead_letters = dead_letters
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff

    def process(self, record: Record) -> str:
        """Returns what happened: 'handled', 'duplicate', 'ignored' or 'dead-lettered'.

        Raises PublishError when a dead letter cannot be written, and RetryLater when
        the database is unavailable; the caller must then not commit the offset.
        """
        headers = from_kafka_headers(record.headers) if record.headers else {}
        try:
            envelope = self.registry.decode(record.value, headers)
        except MalformedEvent as exc:
            if headers.get("ce_type") and headers["ce_type"] not in self.registry:
                return "ignored"  # a type this consumer does not know: not its concern
            self._dead_letter(record, exc, attempts=1)
            return "dead-lettered"
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        last_error: BaseException | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._apply(handler, envelope, record.topic)
            except UNAVAILABLE as exc:
                last_error = exc
                if attempt == self.max_attempts:
                    raise RetryLater(f"{type(exc).__name__}") from exc
                time.sleep(self.retry_backoff * attempt)
            except (PermanentFailure, ClinicError) as exc:
                last_error = exc
                self._dead_letter(record, exc, attempts=attempt)
                return "dead-lettered"
            except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
                last_error = exc
                log.warning("event handling failed", extra={
                    "consumer": self.name, "event_id": envelope.id, "event_type": envelope.type,
                    "attempt": attempt, "error": f"{type(exc).__name__}: {exc}"})
                time.sleep(self.retry_backoff * attempt)
        self._dead_letter(record, last_error, attempts=self.max_attempts)
        return "dead-lettered"

    def process_batch(self, records: list[Record]) -> list[str]:
        """Applies records of one partition in one transaction, in order; what happened to
        each, as :meth:`process` says. When anything in the batch fails (a record that does
        not decode, a handler that refuses, the database), the batch is rolled back and the
        records go one at a time, with retries and dead letters as usual."""
        if len(records) > 1:
            try:
                return self._apply_batch(records)
            except Exception as exc:  # noqa: BLE001 - every record then gets its own try
                log.info("a batch went one record at a time", extra={
                    "consumer": self.name, "records": len(records),
                    "error": type(exc).__name__})
        return [self.process(record) for record in records]

    def _apply_batch(self, records: list[Record]) -> list[str]:
        envelopes = [self.registry.decode(r.value, from_kafka_headers(r.headers) if r.headers
                                          else {}) for r in records]
        outcomes, seen = [], set()
        with identity.acting_as(self.principal), self.uow_factory() as uow:
            done = uow.processed_among(self.name, [e.id for e in envelopes])
            uow.prepare_batch(sorted({r.key.decode("utf-8", "replace") for r, e in
                                      zip(records, envelopes, strict=True)
                                      if r.key and e.id not in done}))
            handled = []
            for record, envelope in zip(records, envelopes, strict=True):
                handler = self.handlers.get(envelope.type)
                if envelope.id in done or envelope.id in seen:
                    outcomes.append("duplicate")
                    continue
                if handler is None:
                    outcomes.append("ignored")
                    continue
                with tracing.consuming(envelope.type, envelope.id, envelope.traceparent,
                                       self.name) as trace, \
                        context.bound(correlation=envelope.correlation_id, trace=trace):
                    handler(envelope.message, envelope, uow,
                            Change(now=self.clock(), actor=self.principal.subject))
                handled.append((envelope.id, envelope.type, record.topic))
                seen.add(envelope.id)
                outcomes.append("handled")
            uow.mark_all_processed(self.name, handled)
            uow.commit()
        return outcomes

    def _apply(self, handler: Handler, envelope: Envelope, topic: str) -> str:
        with tracing.consuming(envelope.type, envelope.id, envelope.traceparent,
                               self.name) as trace, \
                context.bound(correlation=envelope.correlation_id, trace=trace), \
                identity.acting_as(self.principal), self.uow_factory() as uow:
            if uow.already_processed(self.name, envelope.id):
                return "duplicate"
            handler(envelope.message, envelope, uow,
                    Change(now=self.clock(), actor=self.principal.subject))
            uow.mark_processed(self.name, envelope.id, envelope.type, topic)
            uow.commit()
            return "handled"

    def _dead_letter(self, record: Record, error: BaseException | None, attempts: int) -> None:
        detail = f"{type(error).__name__}: {error}" if error else "unknown"
        log.error("event sent to dead letters", extra={
            "consumer": self.name, "topic": record.topic, "partition": record.partition,
            "offset": record.offset, "error": detail})
        headers = {k: v.decode(errors="replace") for k, v in record.headers or []}
        headers.update({
            "dlq_error": detail[:1000],
            "dlq_error_class": type(error).__name__ if error else "unknown",
            "dlq_trace": "".join(traceback.format_exception(error))[-2000:] if error else "",
            "dlq_consumer": self.name,
            "dlq_source_topic": record.topic,
            "dlq_source_partition": str(record.partition),
            "dlq_source_offset": str(record.offset),
            "dlq_attempts": str(attempts),
            "dlq_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
        key = (record.key or b"").decode(errors="replace")
        self.dead_letters.publish(dlq_topic(record.topic), key, record.value or b"", headers)
        metrics.DEAD_LETTERS.labels(self.name, record.topic).inc()


class KafkaEventConsumer:
    """Polls topics in a consumer group and feeds records to an :class:`EventProcessor`."""

    def __init__(self, processor: EventProcessor, topics: list[str], settings: KafkaSettings,
                 *, group_id: str):
        self.processor = processor
        self.topics = topics
        self.settings = settings
        self.group_id = group_id
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._consumer: KafkaConsumer | None = None
        self._last_log_check = time.monotonic()
        self._committed: dict[TopicPartition, int] = {}
        self._seen_end: dict[TopicPartition, int] = {}
        self.processed = 0
        self.rewinds = 0
        # Wall-clock time of the last poll that reached the broker, and how many records
        # the assigned partitions hold beyond what this group committed (None: unknown).
        self.last_success: float | None = None
        self.backlog: int | None = None
        # (topic, partition) -> records beyond the committed offset, as of the last poll.
        self.partition_lag: dict[tuple[str, int], int] = {}

    def _connect(self) -> KafkaConsumer:
        # Subscribing to a topic nobody created yet would leave the group idle
        # until the next metadata refresh, so make sure the topics exist.
        ensure_topics(self.settings, self.topics)
        consumer = KafkaConsumer(
            **self.settings.client_options(), group_id=self.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_poll_interval_ms=self.settings.max_poll_interval_ms,
            session_timeout_ms=self.settings.session_timeout_ms,
            heartbeat_interval_ms=self.settings.heartbeat_interval_ms,
            request_timeout_ms=max(self.settings.request_timeout_ms,
                                   self.settings.session_timeout_ms + 1000),
            max_poll_records=500, metadata_max_age_ms=30_000,
        )
        consumer.subscribe(self.topics)
        return consumer

    def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                if self._consumer is None:
                    self._consumer = self._connect()
                self._poll_once(self._consumer)
                self.last_success = time.time()
                self.backlog = self._backlog(self._consumer)
                backoff = 0.5
            except (KafkaError, OSError, PublishError) as exc:
                log.warning("consumer cannot reach the broker; retrying",
                            extra={"group": self.group_id, "error": str(exc), "retry_in_s": backoff})
                self._close_consumer()
                self._stopping.wait(backoff)
                backoff = min(10.0, backoff * 2)
            except Exception:
                log.exception("consumer loop failed; restarting", extra={"group": self.group_id})
                self._close_consumer()
                self._stopping.wait(backoff)
                backoff = min(10.0, backoff * 2)
        self._close_consumer()

    def _poll_once(self, consumer: KafkaConsumer) -> None:
        batch = consumer.poll(timeout_ms=500)
        if not batch and time.monotonic() - self._last_log_check > LOG_CHECK_INTERVAL_S:
            self._last_log_check = time.monotonic()
            self._rewind_if_log_lost(consumer)
        for tp, messages in batch.items():
            if self._stopping.is_set():
                return
            partition = TopicPartition(tp.topic, tp.partition)
            records = [Record(topic=m.topic, partition=m.partition, offset=m.offset, key=m.key,
                              value=m.value, headers=list(m.headers or [])) for m in messages]
            try:
                self.processor.process_batch(records)
            except RetryLater as exc:
                # Read these again after a pause; nothing after them is applied first. (What a
                # fallback one at a time applied is in the inbox: read again, it is skipped.)
                log.warning("cannot apply events now; retrying", extra={
                    "group": self.group_id, "error": str(exc), "retry_in_s": 2.0})
                for other, waiting in batch.items():
                    consumer.seek(TopicPartition(other.topic, other.partition),
                                  waiting[0].offset)
                self._stopping.wait(2.0)
                return
            # One commit for the partition's batch: offsets move only after the effects.
            consumer.commit({partition: OffsetAndMetadata(messages[-1].offset + 1, "", -1)})
            self._committed[partition] = messages[-1].offset + 1
            self.processed += len(messages)

    def _rewind_if_log_lost(self, consumer: KafkaConsumer) -> None:
        """Re-read a partition whose log the broker lost.

        Only real loss counts: the broker no longer has the offset this consumer
        committed there (an in-memory broker restarted with its group offsets), or
        the log now ends before where it was seen to end (cut back: a restart, an
        unclean leader election on Kafka). A log end behind the consumer's own
        position alone is not loss: the embedded broker reports that after
        multi-record batches. Waiting at the old position would skip whatever is
        written there next; re-reading from the start is safe because the inbox
        turns what was applied into no-ops, and the producers publish again what
        the broker lost.
        """
        assigned = list(consumer.assignment())
        if not assigned:
            return
        ends = consumer.end_offsets(assigned, timeout_ms=5000)
        for tp in assigned:
            end = ends.get(tp)
            cut_back = end is not None and end < self._seen_end.get(tp, 0)
            forgotten = tp in self._committed and consumer.committed(tp) is None
            if end is not None:
                self._seen_end[tp] = end if cut_back else max(end, self._seen_end.get(tp, 0))
            if cut_back or forgotten:
                log.warning("the broker lost a partition's log; re-reading it", extra={
                    "group": self.group_id, "topic": tp.topic, "partition": tp.partition,
                    "log_end": end, "log_cut_back": cut_back, "offset_forgotten": forgotten})
                self._committed.pop(tp, None)
                self.rewinds += 1
                consumer.seek_to_beginning(tp)

    def _backlog(self, consumer: KafkaConsumer) -> int | None:
        """Records beyond the committed offsets, from the log ends the last fetches reported
        (no broker round trip); None until every assigned partition has reported one."""
        lags: dict[tuple[str, int], int] = {}
        complete = True
        try:
            for tp in consumer.assignment():
                end = consumer.highwater(tp)
                if end is None:
                    complete = False
                    continue
                lags[(tp.topic, tp.partition)] = max(
                    0, end - self._committed.get(tp, consumer.position(tp)))
        except Exception:  # noqa: BLE001 - a gauge, never a reason to reconnect
            return None
        self.partition_lag = lags
        return sum(lags.values()) if complete else None

    @property
    def running(self) -> bool:
        """Its thread is alive and not told to stop (the ops view and clinic_worker_running)."""
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def status(self) -> dict:
        """Running, last successful poll (epoch seconds), backlog, counters."""
        return {"group": self.group_id, "topics": self.topics,
                "running": self.running,
                "connected": self._consumer is not None, "last_success": self.last_success,
                "backlog": self.backlog, "processed": self.processed, "rewinds": self.rewinds}

    def _close_consumer(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001
                log.debug("closing the consumer raised", exc_info=True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"consumer-{self.group_id}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the record in hand, commit its offset and leave the group."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
