"""The staff each appointment uses, over its whole time.

On PostgreSQL an exclusion constraint stops two overlapping exclusive assignments of one
person (a provider, a TMS technician) whatever the concurrency. Shared assignments (an
RN's infusions and Spravato observations, up to SCHEDULING_RN_MAX_CHAIRS at once) are
counted by the booking under a row lock of the RN's staff_members row, which writers of
the same RN take in id order; SQLite serializes writers instead.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "appointment_staff",
        sa.Column("appointment_id", sa.String(32), nullable=False),
        sa.Column("staff_member_id", sa.String(63), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.appointment_id"],
                                name="fk_appointment_staff_appointment_id_appointments",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_member_id"], ["staff_members.staff_member_id"],
                                name="fk_appointment_staff_staff_member_id_staff_members"),
        sa.PrimaryKeyConstraint("appointment_id", "staff_member_id", "role",
                                name="pk_appointment_staff"))
    op.create_index("ix_appointment_staff_slot", "appointment_staff",
                    ["staff_member_id", "start_time"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE appointment_staff ADD CONSTRAINT ex_appointment_staff_overlap "
            "EXCLUDE USING gist (staff_member_id WITH =, tstzrange(start_time, end_time) "
            "WITH &&) WHERE (active AND exclusive)")


def downgrade() -> None:
    op.drop_index("ix_appointment_staff_slot", table_name="appointment_staff")
    op.drop_table("appointment_staff")
