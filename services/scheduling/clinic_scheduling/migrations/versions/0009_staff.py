"""Staff members: role, the locations they work at, weekly shifts and time off.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def _staff_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["staff_member_id"], ["staff_members.staff_member_id"],
                                   name=f"fk_{table}_staff_member_id_staff_members",
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("staff_member_id", sa.String(63), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("staff_member_id", name="pk_staff_members"))
    op.create_table(
        "staff_locations",
        sa.Column("staff_member_id", sa.String(63), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        _staff_fk("staff_locations"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.location_id"],
                                name="fk_staff_locations_location_id_locations"),
        sa.PrimaryKeyConstraint("staff_member_id", "location_id", name="pk_staff_locations"))
    op.create_index("ix_staff_locations_location", "staff_locations", ["location_id"])
    op.create_table(
        "staff_shifts",
        sa.Column("staff_member_id", sa.String(63), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("weekday", sa.SmallInteger, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        _staff_fk("staff_shifts"),
        sa.PrimaryKeyConstraint("staff_member_id", "location_id", "weekday", "start_time",
                                name="pk_staff_shifts"))
    op.create_table(
        "staff_time_off",
        sa.Column("staff_member_id", sa.String(63), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        _staff_fk("staff_time_off"),
        sa.PrimaryKeyConstraint("staff_member_id", "start_time", name="pk_staff_time_off"))


def downgrade() -> None:
    op.drop_table("staff_time_off")
    op.drop_table("staff_shifts")
    op.drop_index("ix_staff_locations_location", table_name="staff_locations")
    op.drop_table("staff_locations")
    op.drop_table("staff_members")
