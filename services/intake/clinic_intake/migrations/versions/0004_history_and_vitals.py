"""Medical history entries and vital signs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_entries",
        sa.Column("entry_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_history_entries"),
    )
    op.create_index("ix_history_entries_patient_id", "history_entries",
                    ["patient_id", "created_at"])
    op.create_table(
        "vitals",
        sa.Column("vitals_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("height_mm", sa.Integer()),
        sa.Column("weight_grams", sa.Integer()),
        sa.Column("systolic_mmhg", sa.Integer()),
        sa.Column("diastolic_mmhg", sa.Integer()),
        sa.Column("pulse_bpm", sa.Integer()),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vitals_id", name="pk_vitals"),
    )
    op.create_index("ix_vitals_patient_id", "vitals", ["patient_id", "measured_at"])


def downgrade() -> None:
    op.drop_index("ix_vitals_patient_id", table_name="vitals")
    op.drop_table("vitals")
    op.drop_index("ix_history_entries_patient_id", table_name="history_entries")
    op.drop_table("history_entries")
