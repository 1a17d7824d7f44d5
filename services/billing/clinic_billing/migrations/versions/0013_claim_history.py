"""Claims' append-only history (claim_transitions); the payer's claim number from its
acknowledgement and the reason a claim was closed; a secondary claim's primary and the
primary payer's decision it carries.

Expand only: a new table, new columns with defaults. Claims made before this revision
have no history of their earlier steps.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "claim_transitions",
        sa.Column("transition_id", BigId, autoincrement=True, nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("transition_id", name="pk_claim_transitions"),
    )
    op.create_index("ix_claim_transitions_claim", "claim_transitions",
                    ["claim_id", "transition_id"])
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("payer_claim_number", sa.String(50), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("close_reason", sa.Text(), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("primary_claim_id", sa.String(32), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("cob", sa.JSON(), nullable=True))
    op.create_index("ix_claims_primary", "claims", ["primary_claim_id"])


def downgrade() -> None:
    op.drop_index("ix_claims_primary", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("cob")
        batch.drop_column("primary_claim_id")
        batch.drop_column("close_reason")
        batch.drop_column("payer_claim_number")
    op.drop_index("ix_claim_transitions_claim", table_name="claim_transitions")
    op.drop_table("claim_transitions")
