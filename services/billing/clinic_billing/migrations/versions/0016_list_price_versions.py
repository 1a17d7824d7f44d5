"""List prices set over the API: price versions say which price they set (SELF_PAY, the
self-pay price or a policy fee's amount, as every earlier version; or LIST, the price
insurance is charged). Only a column added, with a default.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("price_versions", sa.Column("price_kind", sa.String(16), nullable=False,
                                              server_default="SELF_PAY"))


def downgrade() -> None:
    op.drop_column("price_versions", "price_kind")
