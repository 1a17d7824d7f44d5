"""Waitlist: entries of patients waiting for an earlier slot, and the offers made to them
(expand only).

An offer row is the guard against offering or booking one slot twice: an entry has at
most one open offer, a freed slot (``slot_key``) at most one open offer, and an entry is
offered a given freed slot at most once (unique indexes, on SQLite and PostgreSQL).

Revision ID: 0014_waitlist
Revises: 0013
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_waitlist"
down_revision = "0013"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)
OPEN = sa.text("status = 'OFFERED'")


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("entry_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("appointment_type", sa.String(64), nullable=False),
        sa.Column("location_list", sa.String(1000), nullable=False),
        sa.Column("earliest_start", Stamp, nullable=False),
        sa.Column("latest_start", Stamp, nullable=False),
        sa.Column("current_location_id", sa.String(63), nullable=False),
        sa.Column("current_appointment_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("appointment_id", sa.String(32), nullable=False),
        sa.Column("appointment_location_id", sa.String(63), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_waitlist_entries"),
        sa.UniqueConstraint("position", name="uq_waitlist_entries_position"))
    op.create_index("ix_waitlist_entries_type_status", "waitlist_entries",
                    ["appointment_type", "status", "position"])
    op.create_index("ix_waitlist_entries_patient", "waitlist_entries",
                    ["patient_id", "position"])
    op.create_table(
        "waitlist_offers",
        sa.Column("offer_id", sa.String(32), nullable=False),
        sa.Column("entry_id", sa.String(32), nullable=False),
        sa.Column("slot_key", sa.String(120), nullable=False),
        sa.Column("hold_id", sa.String(32), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("expires_at", Stamp, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["waitlist_entries.entry_id"],
                                name="fk_waitlist_offers_entry_id_waitlist_entries"),
        sa.PrimaryKeyConstraint("offer_id", name="pk_waitlist_offers"),
        sa.UniqueConstraint("entry_id", "slot_key", name="uq_waitlist_offers_entry_slot"))
    op.create_index("uq_waitlist_offers_open_entry", "waitlist_offers", ["entry_id"],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("uq_waitlist_offers_open_slot", "waitlist_offers", ["slot_key"],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_waitlist_offers_status_expiry", "waitlist_offers",
                    ["status", "expires_at"])


def downgrade() -> None:
    op.drop_table("waitlist_offers")
    op.drop_table("waitlist_entries")
