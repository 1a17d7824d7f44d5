"""Appointment types get a revision, counted up by UpdateAppointmentType, so every server
process reloads a type it cached once the type changed (expand only).

Revision ID: 0016_appointment_type_revision
Revises: 0014_waitlist
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_appointment_type_revision"
down_revision = "0014_waitlist"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment_types") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("appointment_types") as batch:
        batch.drop_column("revision")
