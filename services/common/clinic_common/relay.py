"""Publishes committed outbox rows, in order, and marks them sent.

Runs as a background thread beside the gRPC server, so a slow or absent broker
never blocks a call: the call commits its row and returns; the relay retries
with exponential backoff until the broker acknowledges. A unit of work calls
:meth:`OutboxRelay.wake` after commit so events go out without waiting for the
next poll.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import sessionmaker

from clinic_common.outbox import Outbox
from clinic_common.publisher import EventPublisher, PublishError

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, outbox: Outbox, session_factory: sessionmaker, publisher: EventPublisher,
                 *, poll_interval: float = 0.5, batch_size: int = 200, max_backoff: float = 10.0):
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

    def wake(self) -> None:
        self._wakeup.set()

    def publish_pending(self) -> int:
        """Publish one batch. Returns how many rows were sent; raises PublishError."""
        with self.session_factory() as session, session.begin():
            records = self.outbox.pending(session, self.batch_size)
            if not records:
                return 0
            try:
                self.publisher.publish_many([
                    (r.topic, r.partition_key, r.payload, r.headers) for r in records
                ])
            except PublishError as exc:
                self.outbox.mark_failed(session, records[0].position, str(exc))
                raise
            self.outbox.mark_sent(session, [r.position for r in records])
            return len(records)

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
                backoff = self.poll_interval
                if sent == self.batch_size:
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
