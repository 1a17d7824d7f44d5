"""The unit of work every service's own unit of work builds on.

It owns one SQLAlchemy session and transaction. Besides the service's
repositories (added by subclasses in ``_start``) it carries the platform pieces
that must commit atomically with the domain change: the outbox (events out), the
inbox (events in) and the request log (AIP-155 request ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import Message
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from clinic_common import audit
from clinic_common.clock import Clock, system_clock
from clinic_common.errors import InvalidArgument, Unavailable
from clinic_common.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass
class Platform:
    """What a service's units of work share: tables, outbox, the relay's wake-up, the clock."""

    session_factory: sessionmaker
    outbox: Outbox
    inbox: Table
    request_log: Table
    on_commit: Callable[[], None] = lambda: None
    audit_log: Table | None = None
    clock: Clock = system_clock


class SqlUnitOfWork:
    """Context manager: ``with uow: ...; uow.commit()``. Leaving without commit rolls back."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.session: Session | None = None
        self._emitted = 0

    def __enter__(self):
        self.session = self.platform.session_factory()
        self._emitted = 0
        self._start(self.session)
        return self

    def _start(self, session: Session) -> None:
        """Subclasses build their repositories on the session here."""

    def __exit__(self, *exc_info):
        # close() rolls back what was not committed; unlike rollback() it leaves
        # loaded objects readable, so a use case can return what it read.
        self._emitted = 0
        self.session.close()

    def commit(self) -> None:
        # A change made for a call commits with the call's audit rows, or not at all. The
        # change is flushed first, so a conflict surfaces as itself, not as an audit failure.
        self.session.flush()
        try:
            stored = audit.write_pending(self.session, self.platform.audit_log)
        except SQLAlchemyError:
            log.exception("audit rows not written; the change is not made")
            raise Unavailable("the change could not be recorded in the audit trail; try again",
                              reason="AUDIT_UNAVAILABLE") from None
        self.session.commit()
        stored()
        if self._emitted:
            self._emitted = 0
            self.platform.on_commit()

    def rollback(self) -> None:
        self.session.rollback()
        self._emitted = 0

    def emit(self, event: Message, *, key: str) -> str:
        """Stage an event in this transaction. ``key`` keeps one aggregate's events in order."""
        self._emitted += 1
        return self.platform.outbox.add(self.session, event, key=key)

    # Inbox: events already handled by a consumer, recorded with their effect.
    def already_processed(self, consumer: str, event_id: str) -> bool:
        inbox = self.platform.inbox
        return self.session.execute(select(inbox.c.event_id).where(
            inbox.c.consumer == consumer, inbox.c.event_id == event_id)).first() is not None

    def processed_among(self, consumer: str, event_ids: list[str]) -> set[str]:
        """Which of ``event_ids`` this consumer already processed, in one query."""
        inbox = self.platform.inbox
        return set(self.session.scalars(select(inbox.c.event_id).where(
            inbox.c.consumer == consumer, inbox.c.event_id.in_(event_ids))))

    def mark_processed(self, consumer: str, event_id: str, event_type: str, topic: str) -> None:
        self.session.execute(insert(self.platform.inbox).values(
            consumer=consumer, event_id=event_id, event_type=event_type, topic=topic,
            processed_at=self.platform.clock()))

    def mark_all_processed(self, consumer: str, events: list[tuple[str, str, str]]) -> None:
        """:meth:`mark_processed` for several ``(event_id, event_type, topic)`` in one
        statement."""
        if events:
            now = self.platform.clock()
            self.session.execute(insert(self.platform.inbox), [
                {"consumer": consumer, "event_id": event_id, "event_type": event_type,
                 "topic": topic, "processed_at": now} for event_id, event_type, topic in events])

    def prepare_batch(self, keys: list[str]) -> None:
        """A consumer is about to apply a batch of events with these record keys (patient
        ids, sorted). A service may load and lock what they touch in one query; by default
        nothing happens."""

    # Request log: the first result of a mutating call, by its client request id.
    def prior_result(self, method: str, request_id: str, fingerprint: str) -> str | None:
        log = self.platform.request_log
        row = self.session.execute(select(log.c.fingerprint, log.c.result).where(
            log.c.method == method, log.c.request_id == request_id)).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise InvalidArgument(
                f"request_id {request_id!r} was already used for a different {method} request",
                reason="REQUEST_ID_REUSED", request_id=request_id)
        return row.result

    def record_result(self, method: str, request_id: str, fingerprint: str, result: str) -> None:
        self.session.execute(insert(self.platform.request_log).values(
            method=method, request_id=request_id, fingerprint=fingerprint, result=result,
            created_at=self.platform.clock()))
