"""Merge transfers: a ledger entry that moves a merged account's open amount to the
surviving account names the other account of its pair.

Expand only: a new nullable column. Earlier merges moved their entries' patient_id and
are left as they are (no data migration): their figures already read from the survivor.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ledger_entries", sa.Column("counterpart_patient_id", sa.String(64)))


def downgrade() -> None:
    op.drop_column("ledger_entries", "counterpart_patient_id")
