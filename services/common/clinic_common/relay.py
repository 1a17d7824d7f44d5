"""Publishes committed outbox rows, in order, and marks them sent.

Runs as a background thread beside the gRPC server, so a slow or absent broker
never blocks a call: the call commits its row and returns; the relay retries
with exponential backoff until the broker acknowledges. A unit of work calls
:meth:`OutboxRelay.wake` after commit so events go out without waiting for the
next poll.

The relay holds no database write lock while it talks to the broker. On
PostgreSQL it keeps the batch's rows locked (FOR UPDATE SKIP LOCKED: writers of
new rows are not blocked, and a second relay skips the batch) so relays of one
service never send the same batch twice; on SQLite, where any open write
transaction blocks every writer, it reads the batch, lets go, publishes, then
marks the rows sent.

When idle it asks the broker, now and then, whether it still holds what was
published. A broker that lost its log (the embedded one restarted; an unclean
leader election on Kafka) gets everything sent since ``republish_window`` again,
in order; consumers skip what they already applied.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.orm import sessionmaker

from clinic_common import tracing
from clinic_common.clock import Clock, system_clock
from clinic_common.envelope import TRACEPARENT_HEADER
from clinic_common.outbox import Outbox
from clinic_common.publisher import EventPublisher, PublishError

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, outbox: Outbox, session_factory: sessionmaker, publisher: EventPublisher,
                 *, poll_interval: float = 0.5, batch_size: int = 200, max_backoff: float = 10.0,
                 loss_check_interval: float = 5.0,
                 republish_window: dt.timedelta = dt.timedelta(days=7),
                 clock: Clock = system_clock):
        self.outbox = outbox
        self.session_factory = session_factory
        self.publisher = publisher
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.max_backoff = max_backoff
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self.loss_check_interval = loss_check_interval
        self.republish_window = republish_window
        self.clock = clock
        self._last_loss_check = time.monotonic()
        self.republished = 0
        # Wall-clock time of the last pass that reached the database and the broker.
        self.last_success: float | None = None

    def wake(self) -> None:
        self._wakeup.set()

    def publish_pending(self) -> int:
        """Publish one batch. Returns how many rows were sent; raises PublishError."""
        with self.session_factory() as session:
            if session.get_bind().dialect.name == "sqlite":
                return self._publish_unlocked(session)
            with session.begin():
                records = self.outbox.pending(session, self.batch_size)
                self._publish(session, records)
                return len(records)

    def _publish_unlocked(self, session) -> int:
        with session.begin():
            records = self.outbox.pending(session, self.batch_size)
        if records:
            try:
                self._send(records)
            except PublishError as exc:
                with session.begin():
                    self.outbox.mark_failed(session, records[0].position, str(exc))
                raise
            with session.begin():
                self.outbox.mark_sent(session, [r.position for r in records])
        return len(records)

    def _publish(self, session, records) -> None:
        if not records:
            return
        try:
            self._send(records)
        except PublishError as exc:
            self.outbox.mark_failed(session, records[0].position, str(exc))
            raise
        self.outbox.mark_sent(session, [r.position for r in records])

    def _send(self, records) -> None:
        # One producer span per event, child of the span that committed it; the event keeps
        # that span's traceparent, so its consumers join the committing call's trace.
        spans = [tracing.start_span(
            f"publish {r.event_type}", SpanKind.PRODUCER, parent=r.headers.get(TRACEPARENT_HEADER),
            attributes={"messaging.system": "kafka", "messaging.destination.name": r.topic,
                        "messaging.message.id": r.event_id}) for r in records]
        try:
            self.publisher.publish_many([(r.topic, r.partition_key, r.payload, r.headers)
                                         for r in records])
        except Exception as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans:
                span.end()

    def republish_if_lost(self) -> int:
        """Ask the broker whether it lost what this relay published; if so, mark what was
        sent within the window as pending again. Returns how many rows that was."""
        self._last_loss_check = time.monotonic()
        if not self.publisher.lost_published(self.outbox.topic):
            return 0
        since = self.clock() - self.republish_window
        with self.session_factory() as session, session.begin():
            count = self.outbox.mark_unsent(session, since)
        self.republished += count
        log.warning("the broker lost published events; publishing them again",
                    extra={"events": count, "since": since.isoformat()})
        return count

    def drain(self, timeout: float) -> bool:
        """Publish until nothing is pending or time runs out. True when drained."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.publish_pending() == 0:
                    return True
            except PublishError:
                time.sleep(min(0.5, max(0.0, end - time.monotonic())))
        return False

    def run(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            try:
                sent = self.publish_pending()
                self.failures = 0
                self.last_success = time.time()
                backoff = self.poll_interval
                if sent == self.batch_size:
                    continue
                if time.monotonic() - self._last_loss_check > self.loss_check_interval and \
                        self.republish_if_lost():
                    continue
            except PublishError as exc:
                self.failures += 1
                backoff = min(self.max_backoff, max(self.poll_interval, backoff * 2))
                log.warning("outbox relay cannot publish; retrying",
                            extra={"error": str(exc), "retry_in_s": backoff})
            except Exception:
                self.failures += 1
                backoff = min(self.max_backoff, max(self.poll_interval, backoff * 2))
                log.exception("outbox relay failed; retrying", extra={"retry_in_s": backoff})
            # A wake-up during backoff is ignored only while the broker is failing.
            if self.failures:
                self._stopping.wait(backoff)
            else:
                self._wakeup.wait(self.poll_interval)
            self._wakeup.clear()

    @property
    def running(self) -> bool:
        """Its thread is alive and not told to stop (the ops view and clinic_worker_running)."""
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def status(self) -> dict:
        """Running, consecutive failures, last success (epoch seconds), the backlog and the
        age of its oldest event (seconds)."""
        backlog, oldest = self.outbox_figures()
        return {"running": self.running,
                "failures": self.failures, "last_success": self.last_success,
                "backlog": backlog, "oldest_unsent_s": round(oldest, 1),
                "republished": self.republished}

    def outbox_figures(self) -> tuple[int, float]:
        """The backlog, and the age in seconds of its oldest event (0 when there is none)."""
        with self.session_factory() as session:
            backlog, oldest = self.outbox.pending_figures(session)
        if oldest is None:
            return backlog, 0.0
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        return backlog, max(0.0, (self.clock() - oldest).total_seconds())

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, flush_timeout: float = 5.0) -> bool:
        """Stop the loop, then try to flush what is left. True when nothing is pending."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=self.max_backoff + 5)
        return self.drain(flush_timeout)
