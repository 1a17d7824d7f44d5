"""Platform tables, accounts, coverages, charges, the ledger and the fee schedule.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op
from clinic_common import platform_migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(64), nullable=nullable)


def upgrade() -> None:
    platform_migration.create_v1()
    op.create_table(
        "accounts",
        _id("patient_id"),
        sa.Column("state", sa.String(16), nullable=False),
        _id("merged_into", nullable=True),
        sa.Column("registered", sa.Boolean(), nullable=False),
        _id("preferred_location_id"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name="pk_accounts"),
    )
    op.create_index("ix_accounts_merged_into", "accounts", ["merged_into"])
    op.create_table(
        "coverages",
        _id("coverage_id"), _id("patient_id"), _id("payer_id"), _id("member_id"),
        _id("group_number"),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date()),
        sa.Column("end_date", sa.Date()),
        sa.Column("plan_type", sa.String(32), nullable=False),
        sa.Column("subscriber_relationship", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("coverage_id", name="pk_coverages"),
    )
    op.create_index("ix_coverages_patient_id", "coverages", ["patient_id"])
    _create_charges()
    _create_fee_schedule()


def _create_charges() -> None:
    op.create_table(
        "charges",
        sa.Column("charge_id", sa.String(32), nullable=False),
        _id("patient_id"), _id("appointment_id", nullable=True),
        sa.Column("line_number", sa.Integer()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("modifiers", sa.JSON(), nullable=False),
        sa.Column("diagnosis_codes", sa.JSON(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        _id("location_id"), _id("rendering_provider_id"),
        sa.Column("responsibility", sa.String(16), nullable=False),
        _id("payer_id"), _id("coverage_id"),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name="pk_charges"),
        sa.UniqueConstraint("appointment_id", "line_number", name="uq_charges_appointment_line"),
    )
    op.create_index("ix_charges_patient_date", "charges",
                    ["patient_id", "service_date", "charge_id"])
    op.create_index("ix_charges_date", "charges", ["service_date", "charge_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", _big_id, autoincrement=True, nullable=False),
        _id("patient_id"),
        sa.Column("charge_id", sa.String(32)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("patient_cents", sa.BigInteger(), nullable=False),
        sa.Column("insurance_cents", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_ledger_entries"),
        sa.ForeignKeyConstraint(["charge_id"], ["charges.charge_id"],
                                name="fk_ledger_entries_charge_id_charges"),
    )
    op.create_index("ix_ledger_entries_patient_id", "ledger_entries", ["patient_id"])


def _create_fee_schedule() -> None:
    op.create_table(
        "fee_schedule_entries",
        sa.Column("procedure_code", sa.String(16), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("list_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("self_pay_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("insurance_billable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("procedure_code", name="pk_fee_schedule_entries"),
    )
    op.create_table(
        "payer_rates",
        sa.Column("procedure_code", sa.String(16), nullable=False),
        _id("payer_id"),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("procedure_code", "payer_id", name="pk_payer_rates"),
        sa.ForeignKeyConstraint(["procedure_code"], ["fee_schedule_entries.procedure_code"],
                                name="fk_payer_rates_procedure_code_fee_schedule_entries"),
    )


def downgrade() -> None:
    op.drop_table("payer_rates")
    op.drop_table("fee_schedule_entries")
    op.drop_index("ix_ledger_entries_patient_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_charges_date", table_name="charges")
    op.drop_index("ix_charges_patient_date", table_name="charges")
    op.drop_table("charges")
    op.drop_index("ix_coverages_patient_id", table_name="coverages")
    op.drop_table("coverages")
    op.drop_index("ix_accounts_merged_into", table_name="accounts")
    op.drop_table("accounts")
    platform_migration.drop_v1()
