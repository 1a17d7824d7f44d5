"""Self-pay prices and policy fee amounts set over the API: versions by first date of
service, only added (the history of every price stays).

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_versions",
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(["procedure_code"], ["fee_schedule_entries.procedure_code"],
                                name="fk_price_versions_procedure_code_fee_schedule_entries"),
        sa.PrimaryKeyConstraint("version_id", name="pk_price_versions"),
    )
    op.create_index("ix_price_versions_code", "price_versions",
                    ["procedure_code", "effective_from", "version_id"])


def downgrade() -> None:
    op.drop_index("ix_price_versions_code", table_name="price_versions")
    op.drop_table("price_versions")
