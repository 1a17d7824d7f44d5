"""Scored screenings and safety flags.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("screening_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("instrument", sa.String(32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("total_score", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(60), nullable=False),
        sa.Column("administered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appointment_id", sa.String(64), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("screening_id", name="pk_screenings"),
    )
    op.create_index("ix_screenings_patient_id", "screenings",
                    ["patient_id", "instrument", "administered_at"])
    op.create_table(
        "safety_flags",
        sa.Column("flag_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("screening_id", sa.String(32), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledge_note", sa.String(2000), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flag_id", name="pk_safety_flags"),
    )
    op.create_index("ix_safety_flags_patient_id", "safety_flags", ["patient_id", "raised_at"])


def downgrade() -> None:
    op.drop_index("ix_safety_flags_patient_id", table_name="safety_flags")
    op.drop_table("safety_flags")
    op.drop_index("ix_screenings_patient_id", table_name="screenings")
    op.drop_table("screenings")
