"""Engines, sessions and the platform tables every service database has.

SQLite (embedded mode) runs in WAL mode and opens every transaction with
``BEGIN IMMEDIATE`` so writers are serialized: check-then-insert invariants hold
there as PostgreSQL's constraints make them hold in production.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.types import JSON, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# An auto-incrementing 64-bit key on PostgreSQL that is still SQLite's ROWID.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """An instant: stored in UTC, read back aware in UTC on every database.

    SQLite keeps no zone, so without this a datetime would come back naive there
    and aware on PostgreSQL. A naive value is refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self):
        return dt.datetime

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored as an instant")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def platform_tables(metadata: MetaData) -> dict[str, Table]:
    """Add the outbox, inbox and request-id tables to a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("position", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(255), nullable=False),
        Column("partition_key", String(255), nullable=False),
        Column("event_type", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )
    Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.position)
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(128), primary_key=True),
        Column("event_id", String(255), primary_key=True),
        Column("event_type", String(255), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
    )
    requests = Table(
        "request_log",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("method", String(255), nullable=False),
        Column("request_id", String(128), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("result", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        UniqueConstraint("method", "request_id", name="uq_request_log_method_request_id"),
    )
    return {"outbox": outbox, "inbox": inbox, "request_log": requests,
            "audit_log": audit_table(metadata)}


def audit_table(metadata: MetaData) -> Table:
    """The PHI audit trail: one row per call and patient. Append-only (triggers refuse
    UPDATE and DELETE; see platform_migration.create_audit_v1)."""
    audit = Table(
        "audit_log",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("actor", String(128), nullable=False),
        Column("actor_roles", String(255), nullable=False),
        Column("location_id", String(64), nullable=False),
        Column("method", String(255), nullable=False),
        Column("patient_id", String(64), nullable=False),
        Column("record", String(255), nullable=False),
        Column("outcome", String(32), nullable=False),
        Column("reason", String(128), nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("client_address", String(255), nullable=False),
        Column("token_id", String(64), nullable=False),
    )
    Index("ix_audit_log_patient", audit.c.patient_id, audit.c.occurred_at)
    Index("ix_audit_log_actor", audit.c.actor, audit.c.occurred_at)
    Index("ix_audit_log_time", audit.c.occurred_at)
    return audit


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for a service database, with SQLite made safe for concurrent writers."""
    if not is_sqlite(url):
        # No ping before each use (a round trip per call): a connection the server dropped
        # fails its call as UNAVAILABLE, and SQLAlchemy then renews the whole pool.
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                             hide_parameters=True)
    # hide_parameters: an error message must never carry a patient's data into a log.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE can be issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)
