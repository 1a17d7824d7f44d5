"""Treatment plans carry their dosing protocol, infusion duration and rate.

Versions written before protocols keep an empty protocol and no duration: the dose they
state is the one that was prescribed, and an amendment that touches the dose chooses a
protocol then.

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

COLUMNS = ("protocol_id", "duration_minutes", "mg_per_kg_per_hour", "first_dose_mcg")


def upgrade() -> None:
    with op.batch_alter_table("treatment_plan_versions") as batch:
        batch.add_column(sa.Column("protocol_id", sa.String(64), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("mg_per_kg_per_hour", sa.String(12), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("first_dose_mcg", sa.BigInteger(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("treatment_plan_versions") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
