"""Upcoming treatment bookings from scheduling's appointment events, checked against the
patient's prior authorizations; the units each authorization has scheduled.

Expand only: a new table, a new column with a default.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("appointment_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("appointment_type", sa.String(64), nullable=False),
        sa.Column("series_id", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("prior_authorization_id", sa.String(32), nullable=False),
        sa.Column("authorization_problem", sa.String(16), nullable=False),
        sa.Column("authorization_problem_detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", name="pk_bookings"),
    )
    op.create_index("ix_bookings_patient", "bookings", ["patient_id", "state"])
    op.create_index("ix_bookings_flagged", "bookings",
                    ["state", "authorization_problem", "service_date", "appointment_id"])
    with op.batch_alter_table("prior_authorizations") as batch:
        batch.add_column(sa.Column("units_scheduled", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("prior_authorizations") as batch:
        batch.drop_column("units_scheduled")
    op.drop_index("ix_bookings_flagged", table_name="bookings")
    op.drop_index("ix_bookings_patient", table_name="bookings")
    op.drop_table("bookings")
