"""A hold keeps the staff its slot would use (slot_hold_staff), and a treatment series keeps
the preferences it was booked with (series_preferences) (expand only).

Two holds of one resource or staff member at overlapping times are kept apart by the hold's
placement, which locks the rows of the staff of the roles the type needs and of the
location's resources of the kinds it needs (in id order) before its checks, as a booking
locks its RNs; SQLite serializes writers. No constraint can say "while not expired".

Revision ID: 0018_hold_staff
Revises: 0017_appointment_type_parts
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_hold_staff"
down_revision = "0017_appointment_type_parts"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slot_hold_staff",
        sa.Column("hold_id", sa.String(32), nullable=False),
        sa.Column("staff_member_id", sa.String(63), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["slot_holds.hold_id"],
                                name="fk_slot_hold_staff_hold_id_slot_holds",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hold_id", "staff_member_id", "role",
                                name="pk_slot_hold_staff"))
    op.create_index("ix_slot_hold_staff_slot", "slot_hold_staff",
                    ["staff_member_id", "start_time"])
    op.create_table(
        "series_preferences",
        sa.Column("series_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("weekday_list", sa.String(20), nullable=False),
        sa.Column("earliest_start", sa.Time(), nullable=True),
        sa.Column("latest_start", sa.Time(), nullable=True),
        sa.Column("location_list", sa.String(1000), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("series_id", name="pk_series_preferences"))


def downgrade() -> None:
    op.drop_table("series_preferences")
    op.drop_index("ix_slot_hold_staff_slot", table_name="slot_hold_staff")
    op.drop_table("slot_hold_staff")
