"""The PHI audit trail: who read or changed which patient's data, append-only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from clinic_common import platform_migration

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_migration.create_audit_v1()


def downgrade() -> None:
    platform_migration.drop_audit_v1()
