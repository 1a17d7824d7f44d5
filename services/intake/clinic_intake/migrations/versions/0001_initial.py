"""Platform tables and patients.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from clinic_common import platform_migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_migration.create_v1()
    op.create_table(
        "patients",
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("preferred_name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("preferred_location_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name="pk_patients"),
    )
    op.create_index("ix_patients_name", "patients", ["family_name", "given_name", "patient_id"])
    op.create_index("ix_patients_dob", "patients", ["date_of_birth"])


def downgrade() -> None:
    op.drop_index("ix_patients_dob", table_name="patients")
    op.drop_index("ix_patients_name", table_name="patients")
    op.drop_table("patients")
    platform_migration.drop_v1()
