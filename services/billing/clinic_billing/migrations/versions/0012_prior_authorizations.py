"""Prior authorizations and the charges that use them; the codes a payer pays only with
one; each charge's authorization and problem, each claim's lines beyond authorization.

Expand only: new tables, new columns with defaults.

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
    op.create_table(
        "prior_authorizations",
        sa.Column("prior_authorization_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("authorization_number", sa.String(50), nullable=False),
        sa.Column("procedure_codes", sa.JSON(), nullable=False),
        sa.Column("units_authorized", sa.Integer(), nullable=False),
        sa.Column("units_used", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("prior_authorization_id", name="pk_prior_authorizations"),
    )
    op.create_index("ix_prior_authorizations_patient", "prior_authorizations",
                    ["patient_id", "end_date", "prior_authorization_id"])
    op.create_index("ix_prior_authorizations_end", "prior_authorizations",
                    ["end_date", "prior_authorization_id"])
    op.create_table(
        "prior_authorization_uses",
        sa.Column("charge_id", sa.String(32), nullable=False),
        sa.Column("prior_authorization_id", sa.String(32), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("charge_id", name="pk_prior_authorization_uses"),
        sa.ForeignKeyConstraint(["charge_id"], ["charges.charge_id"],
                                name="fk_prior_authorization_uses_charge_id_charges"),
    )
    op.create_index("ix_prior_authorization_uses_authorization", "prior_authorization_uses",
                    ["prior_authorization_id"])
    with op.batch_alter_table("charges") as batch:
        batch.add_column(sa.Column("prior_authorization_id", sa.String(32), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("authorization_problem", sa.String(16), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("authorization_problem_detail", sa.Text(), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("authorization_issues", sa.JSON(), nullable=True))
    with op.batch_alter_table("payers") as batch:
        batch.add_column(sa.Column("prior_authorization_codes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payers") as batch:
        batch.drop_column("prior_authorization_codes")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("authorization_issues")
    with op.batch_alter_table("charges") as batch:
        batch.drop_column("authorization_problem_detail")
        batch.drop_column("authorization_problem")
        batch.drop_column("prior_authorization_id")
    op.drop_index("ix_prior_authorization_uses_authorization",
                  table_name="prior_authorization_uses")
    op.drop_table("prior_authorization_uses")
    op.drop_index("ix_prior_authorizations_end", table_name="prior_authorizations")
    op.drop_index("ix_prior_authorizations_patient", table_name="prior_authorizations")
    op.drop_table("prior_authorizations")
