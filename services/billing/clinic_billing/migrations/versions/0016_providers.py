"""The provider identities kept over the API, and list prices set over it.

- billing_provider_versions: the billing provider as dated versions (only added); with
  none, the BILLING_PROVIDER_* settings are the billing provider.
- rendering_providers: names, NPIs and taxonomy of rendering providers by staff id.
- claim_batches.billing_provider_version_id: the version a batch went out from (null:
  the settings').
- price_versions.price_kind: which price a version sets (SELF_PAY, the self-pay price or a
  policy fee's amount, as every earlier version; or LIST, the price insurance is charged).

Only tables and columns added (nullable or with a default).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("price_versions", sa.Column("price_kind", sa.String(16), nullable=False,
                                              server_default="SELF_PAY"))
    op.create_table(
        "billing_provider_versions",
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("organization_name", sa.String(60), nullable=False),
        sa.Column("npi", sa.String(10), nullable=False),
        sa.Column("tax_id", sa.String(9), nullable=False),
        sa.Column("taxonomy_code", sa.String(10), nullable=False),
        sa.Column("street", sa.String(55), nullable=False),
        sa.Column("city", sa.String(30), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("postal_code", sa.String(9), nullable=False),
        sa.Column("phone", sa.String(10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("version_id", name="pk_billing_provider_versions"),
    )
    op.create_index("ix_billing_provider_versions_effective", "billing_provider_versions",
                    ["effective_from", "version_id"])
    op.create_table(
        "rendering_providers",
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("first_name", sa.String(35), nullable=False),
        sa.Column("last_name", sa.String(60), nullable=False),
        sa.Column("credentials", sa.String(20), nullable=False),
        sa.Column("npi", sa.String(10), nullable=False),
        sa.Column("taxonomy_code", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name="pk_rendering_providers"),
    )
    op.add_column("claim_batches", sa.Column("billing_provider_version_id", sa.String(32)))


def downgrade() -> None:
    op.drop_column("claim_batches", "billing_provider_version_id")
    op.drop_table("rendering_providers")
    op.drop_index("ix_billing_provider_versions_effective",
                  table_name="billing_provider_versions")
    op.drop_table("billing_provider_versions")
    op.drop_column("price_versions", "price_kind")
