"""What the clinician reports at a visit's completion for billing's coding: the E/M level,
the rendering provider's credential, a TMS motor threshold re-determination and the drug
discarded (expand only: new columns with defaults).

Revision ID: 0019_visit_billing_facts
Revises: 0018_hold_staff
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_visit_billing_facts"
down_revision = "0018_hold_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("em_level", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("provider_credential", sa.String(16), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("motor_threshold_redetermined", sa.Boolean(),
                                   nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("drug_wasted_mcg", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("drug_wasted_mcg")
        batch.drop_column("motor_threshold_redetermined")
        batch.drop_column("provider_credential")
        batch.drop_column("em_level")
