"""Slot holds: a slot's resources kept for a booking for a few minutes (expand only).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slot_holds",
        sa.Column("hold_id", sa.String(32), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("appointment_type", sa.String(64), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("resource_list", sa.String(500), nullable=False),
        sa.Column("expires_at", Stamp, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.location_id"],
                                name="fk_slot_holds_location_id_locations"),
        sa.PrimaryKeyConstraint("hold_id", name="pk_slot_holds"))
    op.create_index("ix_slot_holds_location_start", "slot_holds",
                    ["location_id", "start_time"])


def downgrade() -> None:
    op.drop_index("ix_slot_holds_location_start", table_name="slot_holds")
    op.drop_table("slot_holds")
