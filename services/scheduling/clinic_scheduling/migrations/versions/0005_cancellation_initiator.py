"""A cancellation records who asked for it; a type says whether it carries a late-cancel
fee (a free consultation does not).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("cancelled_by", sa.String(16), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("appointment_types") as batch:
        batch.add_column(sa.Column("late_cancel_fee", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    types = sa.table("appointment_types", sa.column("code", sa.String),
                     sa.column("late_cancel_fee", sa.Boolean))
    op.execute(types.update().where(types.c.code == "FREE_CONSULTATION")
               .values(late_cancel_fee=False))


def downgrade() -> None:
    with op.batch_alter_table("appointment_types") as batch:
        batch.drop_column("late_cancel_fee")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("cancelled_by")
