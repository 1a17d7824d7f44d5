"""Clearances keep intake's escort requirement and fasting instruction, for check-in and
discharge.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clearances") as batch:
        batch.add_column(sa.Column("escort_required", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("fasting_instruction", sa.String(500), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("clearances") as batch:
        batch.drop_column("fasting_instruction")
        batch.drop_column("escort_required")
