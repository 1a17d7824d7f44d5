"""The platform tables as migration steps, frozen per version.

A service's first migration calls :func:`create_v1`. A later change to the
platform tables gets a ``create_v2``-style step that services add in a new
migration of their own; this one never changes.
"""

import sqlalchemy as sa
from alembic import op

_big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_v1() -> None:
    op.create_table(
        "outbox",
        sa.Column("position", _big_id, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("partition_key", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("position", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "position"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "request_log",
        sa.Column("id", _big_id, primary_key=True, autoincrement=True),
        sa.Column("method", sa.String(255), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_request_log"),
        sa.UniqueConstraint("method", "request_id", name="uq_request_log_method_request_id"),
    )


def drop_v1() -> None:
    op.drop_table("request_log")
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")


_APPEND_ONLY = "audit_log is append-only"


def create_audit_v1() -> None:
    """The PHI audit trail (db.audit_table), append-only by triggers on both databases."""
    op.create_table(
        "audit_log",
        sa.Column("id", _big_id, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("actor_roles", sa.String(255), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(255), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("record", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(128), nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("client_address", sa.String(255), nullable=False),
        sa.Column("token_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_patient", "audit_log", ["patient_id", "occurred_at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor", "occurred_at"])
    op.create_index("ix_audit_log_time", "audit_log", ["occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$""")
        op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON "
                       f"audit_log BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END")


def drop_audit_v1() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.drop_table("audit_log")
