"""The port through which stored events leave a service, and its Kafka adapter."""

from __future__ import annotations

import abc
import contextlib
import logging
import threading

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from clinic_common.config import KafkaSettings

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """The broker did not acknowledge a record; the caller keeps it and retries later."""


class EventPublisher(abc.ABC):
    """Sends records to a topic and returns only once the broker acknowledged them."""

    @abc.abstractmethod
    def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        """Publish one record durably (acks=all) or raise :class:`PublishError`."""

    def publish_many(self, records: list[tuple[str, str, bytes, dict[str, str]]]) -> int:
        """Publish records in order; stop at the first failure. Returns how many went out."""
        sent = 0
        for topic, key, value, headers in records:
            self.publish(topic, key, value, headers)
            sent += 1
        return sent

    def lost_published(self, topic: str) -> bool:
        """Whether the broker lost records this publisher had published to ``topic`` (its
        log was cut back or the topic recreated). False when it cannot tell."""
        return False

    def close(self) -> None:  # noqa: B027 - an optional hook; most fakes hold nothing
        """Release connections."""


def ensure_topics(settings: KafkaSettings, topics: list[str]) -> None:
    """Create topics that do not exist yet (idempotent)."""
    admin = KafkaAdminClient(**settings.client_options(),
                             request_timeout_ms=settings.request_timeout_ms)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Another service may create the same topic at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([
                    NewTopic(t, settings.topic_partitions, settings.topic_replication_factor)
                    for t in missing
                ])
    finally:
        admin.close()


class KafkaPublisher(EventPublisher):
    """Idempotent, acks=all producer, created lazily so a missing broker is not fatal."""

    def __init__(self, settings: KafkaSettings, *, topics: list[str] | None = None,
                 send_timeout_s: float = 10.0):
        self.settings = settings
        self.topics = list(topics or [])
        self.send_timeout_s = send_timeout_s
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        # The last record the broker acknowledged, per (topic, partition): (offset, ce_id).
        self._acked: dict[tuple[str, int], tuple[int, str]] = {}

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            if self.topics:
                ensure_topics(self.settings, self.topics)
            self._producer = KafkaProducer(
                **self.settings.client_options(), acks="all", enable_idempotence=True,
                linger_ms=0, request_timeout_ms=self.settings.request_timeout_ms,
                max_block_ms=int(self.send_timeout_s * 1000),
            )
        return self._producer

    def publish_many(self, records):
        with self._lock:
            try:
                producer = self._connect()
                futures = [
                    producer.send(topic, key=key.encode(), value=value,
                                  headers=[(k, v.encode()) for k, v in headers.items()])
                    for topic, key, value, headers in records
                ]
                producer.flush(timeout=self.send_timeout_s)
                for future, (_, _, _, headers) in zip(futures, records, strict=True):
                    acked = future.get(timeout=self.send_timeout_s)
                    where = (acked.topic, acked.partition)
                    if acked.offset >= self._acked.get(where, (-1, ""))[0]:
                        self._acked[where] = (acked.offset, headers.get("ce_id", ""))
                return len(futures)
            except (KafkaError, OSError, ValueError) as exc:
                self._reset()
                raise PublishError(f"{type(exc).__name__}: {exc}") from exc

    def publish(self, topic, key, value, headers):
        self.publish_many([(topic, key, value, headers)])

    def lost_published(self, topic: str) -> bool:
        """Reads back, in each partition, the last record the broker acknowledged to us: when
        it is no longer there (and retention did not remove it) the broker lost its log.

        Log end offsets alone would not tell: the embedded broker reports an end behind
        records it holds after multi-record batches.
        """
        with self._lock:
            acked = {where: last for where, last in self._acked.items() if where[0] == topic}
        if not acked:
            return False
        try:
            lost = _missing(self.settings, acked)
        except (KafkaError, OSError) as exc:
            log.debug("cannot read back from the broker", extra={"error": str(exc)})
            return False
        if lost:
            with self._lock:
                for where in lost:
                    self._acked.pop(where, None)
            log.warning("the broker no longer holds published records", extra={
                "partitions": [f"{t}:{p}" for t, p in lost]})
        return bool(lost)

    def _reset(self) -> None:
        # A producer that failed may hold a stale broker view (a restarted
        # in-memory broker loses its topics), so start afresh next time.
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=1)
            except Exception:  # noqa: BLE001 - closing a broken producer must not mask the error
                log.debug("closing a failed producer raised", exc_info=True)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.flush(timeout=self.send_timeout_s)
                self._producer.close(timeout=self.send_timeout_s)
                self._producer = None


def _missing(settings: KafkaSettings, acked: dict) -> list[tuple[str, int]]:
    """The (topic, partition)s whose last acknowledged record (offset, ce_id) is gone: the
    topic or partition is missing, or the record at that offset is not that event. A record
    before the log's start was removed by retention, which is not loss."""
    consumer = KafkaConsumer(**settings.client_options(), enable_auto_commit=False,
                             request_timeout_ms=settings.request_timeout_ms,
                             fetch_max_wait_ms=100)
    try:
        lost = []
        for (topic, partition), (offset, event_id) in acked.items():
            if partition not in (consumer.partitions_for_topic(topic) or set()):
                lost.append((topic, partition))
                continue
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            if offset < consumer.beginning_offsets([tp])[tp]:
                continue
            consumer.seek(tp, offset)
            found = []
            for _ in range(3):  # a fetch may come back empty once before the data arrives
                found = [r for batch in consumer.poll(timeout_ms=1000).values() for r in batch
                         if r.offset == offset]
                if found:
                    break
            if not found or dict(found[0].headers or []).get("ce_id", b"").decode() != event_id:
                lost.append((topic, partition))
        return lost
    finally:
        consumer.close()


class InMemoryPublisher(EventPublisher):
    """A fake for unit tests: keeps what was published; can be told to fail."""

    def __init__(self):
        self.records: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.down = False
        self.lost = False  # set by a test: the broker lost what was published

    def lost_published(self, topic: str) -> bool:
        lost, self.lost = self.lost, False
        return lost

    def publish(self, topic, key, value, headers):
        if self.down:
            raise PublishError("broker down")
        self.records.append((topic, key, value, dict(headers)))
