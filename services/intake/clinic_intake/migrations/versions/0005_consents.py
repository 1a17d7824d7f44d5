"""Signed consents.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("consent_type", sa.String(40), nullable=False),
        sa.Column("form_version", sa.String(40), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=False),
        sa.Column("signer_relationship", sa.String(60), nullable=False),
        sa.Column("witnessed_by", sa.String(64), nullable=False),
        sa.Column("rems_patient_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.String(64), nullable=False),
        sa.Column("revoke_reason", sa.String(500), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consents"),
    )
    op.create_index("ix_consents_patient_id", "consents", ["patient_id", "signed_at"])


def downgrade() -> None:
    op.drop_index("ix_consents_patient_id", table_name="consents")
    op.drop_table("consents")
