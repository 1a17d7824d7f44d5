"""Transactional outbox: an event is a row written in the state change's transaction.

:class:`Outbox` writes rows inside a caller's session; the relay
(:mod:`clinic_common.relay`) publishes them afterwards. Because the row commits
or rolls back with the change, an event is never announced for a change that
did not happen, and never lost for one that did.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import Message
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from clinic_common import context, envelope
from clinic_common.clock import Clock, system_clock


@dataclass(frozen=True)
class OutboxRecord:
    """One stored event, ready to publish."""

    position: int
    event_id: str
    topic: str
    partition_key: str
    event_type: str
    payload: bytes
    headers: dict[str, str]
    created_at: datetime


class Outbox:
    """Reads and writes one service's outbox table."""

    def __init__(self, table: Table, *, topic: str, source: str, clock: Clock = system_clock):
        self.table = table
        self.topic = topic
        self.source = source
        self.clock = clock

    def add(self, session: Session, message: Message, *, key: str) -> str:
        """Stage ``message`` in the session's transaction; returns its event id."""
        event_id = str(uuid.uuid4())
        created = self.clock()
        headers = envelope.attributes(
            event_id=event_id, event_type=message.DESCRIPTOR.full_name, source=self.source,
            time=created, correlation_id=context.current_correlation_id(),
            traceparent=context.traceparent.get(),
        )
        session.execute(insert(self.table).values(
            event_id=event_id, topic=self.topic, partition_key=key,
            event_type=message.DESCRIPTOR.full_name, payload=message.SerializeToString(),
            headers=headers, created_at=created, attempts=0,
        ))
        return event_id

    def pending(self, session: Session, limit: int) -> list[OutboxRecord]:
        """Unsent rows in commit order. On PostgreSQL, rows another relay holds are skipped."""
        query = (select(self.table).where(self.table.c.sent_at.is_(None))
                 .order_by(self.table.c.position).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [self._record(row) for row in session.execute(query).mappings()]

    def mark_sent(self, session: Session, positions: list[int]) -> None:
        if positions:
            session.execute(update(self.table).where(self.table.c.position.in_(positions))
                            .values(sent_at=self.clock()))

    def mark_failed(self, session: Session, position: int, error: str) -> None:
        session.execute(update(self.table).where(self.table.c.position == position).values(
            attempts=self.table.c.attempts + 1, last_error=error[:2000]))

    def select(self, session: Session, *, since: datetime | None = None,
               until: datetime | None = None, event_ids: list[str] | None = None,
               limit: int = 10_000) -> list[OutboxRecord]:
        """Stored events (sent or not) by time range or id, for replay and inspection."""
        query = select(self.table).order_by(self.table.c.position).limit(limit)
        if since is not None:
            query = query.where(self.table.c.created_at >= since)
        if until is not None:
            query = query.where(self.table.c.created_at < until)
        if event_ids:
            query = query.where(self.table.c.event_id.in_(event_ids))
        return [self._record(row) for row in session.execute(query).mappings()]

    def mark_unsent(self, session: Session, since: datetime) -> int:
        """Publish again everything sent since ``since`` (the broker lost it): rows go back
        to pending, and the relay sends them in their original order."""
        result = session.execute(update(self.table).where(
            self.table.c.sent_at.is_not(None), self.table.c.created_at >= since)
            .values(sent_at=None))
        return result.rowcount

    def count_pending(self, session: Session) -> int:
        return self.pending_figures(session)[0]

    def pending_figures(self, session: Session) -> tuple[int, datetime | None]:
        """How many rows are unsent, and when the oldest of them was written."""
        from sqlalchemy import func

        count, oldest = session.execute(
            select(func.count(), func.min(self.table.c.created_at)).select_from(self.table)
            .where(self.table.c.sent_at.is_(None))).one()
        return count, oldest

    @staticmethod
    def _record(row) -> OutboxRecord:
        return OutboxRecord(
            position=row["position"], event_id=row["event_id"], topic=row["topic"],
            partition_key=row["partition_key"], event_type=row["event_type"],
            payload=row["payload"], headers=dict(row["headers"]), created_at=row["created_at"],
        )
