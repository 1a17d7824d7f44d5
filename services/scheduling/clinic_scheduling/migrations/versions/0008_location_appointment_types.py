"""A location lists the appointment types booked there; none listed means every type.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "location_appointment_types",
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.location_id"],
                                name="fk_location_appointment_types_location_id_locations",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("location_id", "code", name="pk_location_appointment_types"))


def downgrade() -> None:
    op.drop_table("location_appointment_types")
