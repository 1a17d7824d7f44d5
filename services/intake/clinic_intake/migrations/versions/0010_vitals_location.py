"""Vitals name the location where they were measured.

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


def upgrade() -> None:
    with op.batch_alter_table("vitals") as batch:
        batch.add_column(sa.Column("location_id", sa.String(64), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("vitals") as batch:
        batch.drop_column("location_id")
