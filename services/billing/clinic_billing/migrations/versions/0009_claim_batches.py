"""Claims made ready (the subscriber), voided (the reason) and sent (the batch); 837P batches.

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


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("subscriber", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("batch_id", sa.String(32), nullable=False, server_default=""))
    op.create_table(
        "claim_batches",
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("control_number", sa.BigInteger(), nullable=False),
        sa.Column("claim_ids", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_claim_batches"),
        sa.UniqueConstraint("control_number", name="uq_claim_batches_control_number"),
    )


def downgrade() -> None:
    op.drop_table("claim_batches")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("batch_id")
        batch.drop_column("void_reason")
        batch.drop_column("subscriber")
