"""Vitals record SpO2; clearances carry escort and fasting instructions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vitals") as batch:
        batch.add_column(sa.Column("spo2_percent", sa.Integer()))
    with op.batch_alter_table("candidacy_decisions") as batch:
        batch.add_column(sa.Column("escort_required", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("fasting_instruction", sa.String(500), nullable=False,
                                   server_default=""))
    # Earlier ketamine and Spravato clearances need an escort too (the drugs' labels, not a
    # clinic setting); their fasting instruction was not recorded and stays empty.
    decisions = sa.table("candidacy_decisions", sa.column("outcome"), sa.column("modality"),
                         sa.column("escort_required", sa.Boolean()))
    op.execute(decisions.update()
               .where(decisions.c.outcome == "CLEARED",
                      decisions.c.modality.in_(["IV_KETAMINE", "SPRAVATO"]))
               .values(escort_required=True))


def downgrade() -> None:
    with op.batch_alter_table("candidacy_decisions") as batch:
        batch.drop_column("fasting_instruction")
        batch.drop_column("escort_required")
    with op.batch_alter_table("vitals") as batch:
        batch.drop_column("spo2_percent")
