"""A rescheduled appointment keeps its id; its revision counts the moves and its history
keeps the times and resources it had before each.

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

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "appointment_history",
        sa.Column("appointment_id", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("resource_list", sa.String(1000), nullable=False),
        sa.Column("changed_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.appointment_id"],
                                name="fk_appointment_history_appointment_id_appointments",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("appointment_id", "revision", name="pk_appointment_history"))


def downgrade() -> None:
    op.drop_table("appointment_history")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("revision")
