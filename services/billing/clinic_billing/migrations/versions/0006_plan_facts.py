"""What billing keeps of treatment plans: indication, dose and infusion length per plan.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_facts",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indication_code", sa.String(16), nullable=False),
        sa.Column("dose_mcg", sa.BigInteger(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name="pk_plan_facts"),
    )
    op.create_index("ix_plan_facts_patient_id", "plan_facts", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_facts_patient_id", table_name="plan_facts")
    op.drop_table("plan_facts")
