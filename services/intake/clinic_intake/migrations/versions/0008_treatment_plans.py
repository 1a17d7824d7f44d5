"""Treatment plans and their versions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "treatment_plans",
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("decision_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.String(64), nullable=False),
        sa.Column("end_reason", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name="pk_treatment_plans"),
    )
    op.create_index("ix_treatment_plans_patient_id", "treatment_plans",
                    ["patient_id", "created_at"])
    active = sa.text("state = 'ACTIVE'")
    op.create_index("uq_treatment_plans_active", "treatment_plans", ["patient_id", "modality"],
                    unique=True, sqlite_where=active, postgresql_where=active)
    op.create_table(
        "treatment_plan_versions",
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indication_code", sa.String(10), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("min_spacing_hours", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("dose_mcg", sa.BigInteger(), nullable=False),
        sa.Column("computed_dose_mcg", sa.BigInteger(), nullable=False),
        sa.Column("mg_per_kg", sa.String(10), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("weight_vitals_id", sa.String(32), nullable=False),
        sa.Column("weight_measured_at", sa.DateTime(timezone=True)),
        sa.Column("adjustment_reason", sa.String(500), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("written_by", sa.String(64), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "version", name="pk_treatment_plan_versions"),
    )


def downgrade() -> None:
    op.drop_table("treatment_plan_versions")
    op.drop_index("uq_treatment_plans_active", table_name="treatment_plans")
    op.drop_index("ix_treatment_plans_patient_id", table_name="treatment_plans")
    op.drop_table("treatment_plans")
