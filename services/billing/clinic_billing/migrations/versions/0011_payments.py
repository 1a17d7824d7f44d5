"""Patient payments and refunds, write-offs with their approver; ledger entries that name
the payment or write-off they come from.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("payment_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("write_off_id", sa.String(32), nullable=True))
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("location_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("refunds_payment_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payments"),
    )
    op.create_index("ix_payments_patient", "payments", ["patient_id", "payment_id"])
    op.create_index("ix_payments_refunds", "payments", ["refunds_payment_id"])
    op.create_table(
        "write_offs",
        sa.Column("write_off_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("responsibility", sa.String(16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("approver_id", sa.String(200), nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("write_off_id", name="pk_write_offs"),
    )
    op.create_index("ix_write_offs_patient", "write_offs", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_write_offs_patient", table_name="write_offs")
    op.drop_table("write_offs")
    op.drop_index("ix_payments_refunds", table_name="payments")
    op.drop_index("ix_payments_patient", table_name="payments")
    op.drop_table("payments")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("write_off_id")
        batch.drop_column("payment_id")
