"""The clinic's default fee schedule (DOMAIN.md codes), prices per unit in cents.

List prices are billed on claims; self-pay prices are charged to patients who
pay themselves. IV ketamine (96365, 96366, J3490) is mostly self-pay; Spravato,
TMS and psychiatry are usually billed to insurance. The policy fees' amounts
here are the defaults; BILLING_NO_SHOW_FEE_CENTS and BILLING_LATE_CANCEL_FEE_CENTS
decide what is charged. Payer contracts (payer_rates) are clinic data, not seeded.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_entries = sa.table(
    "fee_schedule_entries",
    sa.column("procedure_code", sa.String), sa.column("description", sa.String),
    sa.column("unit", sa.String), sa.column("kind", sa.String),
    sa.column("list_price_cents", sa.BigInteger), sa.column("self_pay_price_cents", sa.BigInteger),
    sa.column("insurance_billable", sa.Boolean),
)

# code, description, unit, kind, list price, self-pay price, usually billed to insurance
DEFAULTS = [
    ("90791", "Psychiatric diagnostic evaluation", "SERVICE", "SERVICE", 35000, 30000, True),
    ("90792", "Psychiatric diagnostic evaluation with medical services",
     "SERVICE", "SERVICE", 45000, 40000, True),
    ("99212", "Established patient visit, straightforward", "SERVICE", "SERVICE", 9500, 7500, True),
    ("99213", "Established patient visit, low complexity", "SERVICE", "SERVICE", 15000, 12500, True),
    ("99214", "Established patient visit, moderate complexity",
     "SERVICE", "SERVICE", 22000, 17500, True),
    ("99215", "Established patient visit, high complexity", "SERVICE", "SERVICE", 30000, 25000, True),
    ("96365", "IV infusion, first hour", "SERVICE", "SERVICE", 50000, 45000, False),
    ("96366", "IV infusion, each additional hour", "SERVICE", "SERVICE", 17500, 15000, False),
    ("J3490", "Unclassified drug (ketamine), per mg", "MILLIGRAM", "SERVICE", 200, 100, False),
    ("G2082", "Esketamine observation, up to 56 mg", "SERVICE", "SERVICE", 90000, 80000, True),
    ("G2083", "Esketamine observation, over 56 mg", "SERVICE", "SERVICE", 125000, 110000, True),
    ("S0013", "Esketamine nasal spray, 1 mg", "MILLIGRAM", "SERVICE", 1600, 1400, True),
    ("90867", "TMS initial session with mapping", "SERVICE", "SERVICE", 50000, 40000, True),
    ("90868", "TMS subsequent session", "SERVICE", "SERVICE", 30000, 25000, True),
    ("90869", "TMS motor threshold re-determination", "SERVICE", "SERVICE", 35000, 30000, True),
    ("NO_SHOW_FEE", "No-show fee", "SERVICE", "POLICY", 7500, 7500, False),
    ("LATE_CANCEL_FEE", "Late-cancel fee", "SERVICE", "POLICY", 5000, 5000, False),
]


def upgrade() -> None:
    op.bulk_insert(_entries, [
        dict(procedure_code=code, description=description, unit=unit, kind=kind,
             list_price_cents=list_price, self_pay_price_cents=self_pay,
             insurance_billable=billable)
        for code, description, unit, kind, list_price, self_pay, billable in DEFAULTS])


def downgrade() -> None:
    codes = [row[0] for row in DEFAULTS]
    op.execute(sa.text("DELETE FROM payer_rates WHERE procedure_code IN :codes")
               .bindparams(sa.bindparam("codes", codes, expanding=True)))
    op.execute(_entries.delete().where(_entries.c.procedure_code.in_(codes)))
