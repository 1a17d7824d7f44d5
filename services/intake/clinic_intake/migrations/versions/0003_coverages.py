"""Insurance coverages.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverages",
        sa.Column("coverage_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("payer_name", sa.String(200), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("group_number", sa.String(64), nullable=False),
        sa.Column("subscriber_name", sa.String(200), nullable=False),
        sa.Column("subscriber_date_of_birth", sa.Date()),
        sa.Column("subscriber_relationship", sa.String(16), nullable=False),
        sa.Column("plan_type", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("card_front_image_uri", sa.String(500), nullable=False),
        sa.Column("card_back_image_uri", sa.String(500), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("coverage_id", name="pk_coverages"),
    )
    op.create_index("ix_coverages_patient_id", "coverages",
                    ["patient_id", "priority", "effective_date"])


def downgrade() -> None:
    op.drop_index("ix_coverages_patient_id", table_name="coverages")
    op.drop_table("coverages")
