"""Coding: drug details on charges, effective dates on the fee schedule, J0013 replaces S0013.

The CMS HCPCS quarterly update of 2026-01-01 added J0013 (esketamine, 1 mg) and
ended S0013: S0013 prices dates of service up to 2025-12-31 only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_entries = sa.table(
    "fee_schedule_entries",
    sa.column("procedure_code", sa.String), sa.column("description", sa.String),
    sa.column("unit", sa.String), sa.column("kind", sa.String),
    sa.column("list_price_cents", sa.BigInteger), sa.column("self_pay_price_cents", sa.BigInteger),
    sa.column("insurance_billable", sa.Boolean), sa.column("effective_from", sa.Date),
    sa.column("effective_to", sa.Date),
)
J0013_FROM = dt.date(2026, 1, 1)


def upgrade() -> None:
    with op.batch_alter_table("charges") as batch:
        batch.add_column(sa.Column("drug_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("ndc", sa.String(13), nullable=False, server_default=""))
        batch.add_column(sa.Column("ndc_unit", sa.String(2), nullable=False, server_default=""))
        batch.add_column(sa.Column("ndc_quantity", sa.String(16), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("fee_schedule_entries") as batch:
        batch.add_column(sa.Column("effective_from", sa.Date()))
        batch.add_column(sa.Column("effective_to", sa.Date()))
    op.execute(_entries.update().where(_entries.c.procedure_code == "S0013")
               .values(effective_to=J0013_FROM - dt.timedelta(days=1)))
    op.bulk_insert(_entries, [dict(
        procedure_code="J0013", description="Esketamine, 1 mg", unit="MILLIGRAM", kind="SERVICE",
        list_price_cents=1600, self_pay_price_cents=1400, insurance_billable=True,
        effective_from=J0013_FROM, effective_to=None)])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM payer_rates WHERE procedure_code = 'J0013'"))
    op.execute(_entries.delete().where(_entries.c.procedure_code == "J0013"))
    with op.batch_alter_table("fee_schedule_entries") as batch:
        batch.drop_column("effective_to")
        batch.drop_column("effective_from")
    with op.batch_alter_table("charges") as batch:
        for name in ("ndc_quantity", "ndc_unit", "ndc", "drug_name"):
            batch.drop_column(name)
