"""Claims built from charges, and their lines (a charge is on one claim at most).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("coverage_id", sa.String(64), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("charge_ids", sa.JSON(), nullable=False),
        sa.Column("total_charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_allowed_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claims"),
    )
    op.create_index("ix_claims_patient_date", "claims", ["patient_id", "service_date", "claim_id"])
    op.create_index("ix_claims_date", "claims", ["service_date", "claim_id"])
    op.create_table(
        "claim_lines",
        sa.Column("charge_id", sa.String(32), nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name="pk_claim_lines"),
        sa.ForeignKeyConstraint(["charge_id"], ["charges.charge_id"],
                                name="fk_claim_lines_charge_id_charges"),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.claim_id"],
                                name="fk_claim_lines_claim_id_claims"),
    )
    op.create_index("ix_claim_lines_claim_id", "claim_lines", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_claim_lines_claim_id", table_name="claim_lines")
    op.drop_table("claim_lines")
    op.drop_index("ix_claims_date", table_name="claims")
    op.drop_index("ix_claims_patient_date", table_name="claims")
    op.drop_table("claims")
