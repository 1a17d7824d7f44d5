"""Contracted rates per payer, code and modifier, effective-dated; they replace payer_rates.

Existing payer_rates rows become rates without modifier or dates. payer_rates itself
stays (expand, then contract): the release before this one still reads it, and a later
release drops it in a migration marked as a contract step.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_old = sa.table("payer_rates", sa.column("procedure_code", sa.String),
                sa.column("payer_id", sa.String), sa.column("allowed_cents", sa.BigInteger))


def upgrade() -> None:
    rates = op.create_table(
        "contracted_rates",
        sa.Column("rate_id", sa.String(32), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=False),
        sa.Column("modifier", sa.String(2), nullable=False),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.Date()),
        sa.Column("effective_to", sa.Date()),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("rate_id", name="pk_contracted_rates"),
        sa.ForeignKeyConstraint(["procedure_code"], ["fee_schedule_entries.procedure_code"],
                                name="fk_contracted_rates_procedure_code_fee_schedule_entries"),
    )
    op.create_index("ix_contracted_rates_code_payer", "contracted_rates",
                    ["procedure_code", "payer_id"])
    op.create_index("ix_contracted_rates_payer", "contracted_rates",
                    ["payer_id", "procedure_code", "rate_id"])
    old = op.get_bind().execute(sa.select(_old)).all()
    if old:
        op.bulk_insert(rates, [dict(rate_id=uuid.uuid4().hex, payer_id=r.payer_id,
                                    procedure_code=r.procedure_code, modifier="",
                                    allowed_cents=r.allowed_cents, effective_from=None,
                                    effective_to=None, updated_at=None, updated_by="migration")
                               for r in old])


def downgrade() -> None:
    op.drop_index("ix_contracted_rates_payer", table_name="contracted_rates")
    op.drop_index("ix_contracted_rates_code_payer", table_name="contracted_rates")
    op.drop_table("contracted_rates")
