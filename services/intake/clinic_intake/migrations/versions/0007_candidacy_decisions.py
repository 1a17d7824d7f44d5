"""Candidacy decisions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidacy_decisions",
        sa.Column("decision_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("screening_ids", sa.JSON(), nullable=False),
        sa.Column("consent_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name="pk_candidacy_decisions"),
    )
    op.create_index("ix_candidacy_decisions_patient_id", "candidacy_decisions",
                    ["patient_id", "modality", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_candidacy_decisions_patient_id", table_name="candidacy_decisions")
    op.drop_table("candidacy_decisions")
