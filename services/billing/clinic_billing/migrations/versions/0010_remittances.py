"""Remittances (835) and how each claim of them was posted; suspense; the denial work queue;
ledger entries that name their claim, remittance and adjustment reason.

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

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("claim_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("remittance_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(64), nullable=False, server_default=""))
    op.create_index("ix_ledger_entries_remittance", "ledger_entries", ["remittance_id"])
    op.create_index("ix_ledger_entries_claim", "ledger_entries", ["claim_id"])
    op.create_table(
        "remittances",
        sa.Column("remittance_id", sa.String(32), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("trace_number", sa.String(64), nullable=False),
        sa.Column("trace_originator", sa.String(64), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("payer_name", sa.String(200), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("deposit_cents", sa.BigInteger(), nullable=False),
        sa.Column("payment_method", sa.String(8), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("provider_adjustments", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("remittance_id", name="pk_remittances"),
        sa.UniqueConstraint("content_sha256", name="uq_remittances_content_sha256"),
        sa.UniqueConstraint("trace_originator", "trace_number", name="uq_remittances_trace"),
    )
    op.create_table(
        "remittance_claims",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("remittance_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("claim_ref", sa.String(64), nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=True),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(4), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("patient_cents", sa.BigInteger(), nullable=False),
        sa.Column("payer_claim_number", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("adjustments", sa.JSON(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_remittance_claims"),
        sa.ForeignKeyConstraint(["remittance_id"], ["remittances.remittance_id"],
                                name="fk_remittance_claims_remittance_id_remittances"),
    )
    op.create_index("ix_remittance_claims_remittance", "remittance_claims",
                    ["remittance_id", "position"])
    op.create_index("ix_remittance_claims_claim", "remittance_claims", ["claim_id"])
    op.create_table(
        "suspense_items",
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("remittance_id", sa.String(32), nullable=False),
        sa.Column("claim_ref", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("applied_to", sa.String(128), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_suspense_items"),
    )
    op.create_table(
        "denials",
        sa.Column("denial_id", sa.String(32), nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("remittance_id", sa.String(32), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("remark_codes", sa.JSON(), nullable=False),
        sa.Column("denied_cents", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("denial_id", name="pk_denials"),
    )
    op.create_index("ix_denials_claim", "denials", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_denials_claim", table_name="denials")
    op.drop_table("denials")
    op.drop_table("suspense_items")
    op.drop_index("ix_remittance_claims_claim", table_name="remittance_claims")
    op.drop_index("ix_remittance_claims_remittance", table_name="remittance_claims")
    op.drop_table("remittance_claims")
    op.drop_table("remittances")
    op.drop_index("ix_ledger_entries_claim", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_remittance", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("reason")
        batch.drop_column("remittance_id")
        batch.drop_column("claim_id")
