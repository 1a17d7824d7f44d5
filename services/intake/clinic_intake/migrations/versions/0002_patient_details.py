"""Patient details (sex, gender identity, address, contacts), duplicates, record revisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# New text columns of patients, with their lengths; existing rows get "".
TEXT_COLUMNS = [
    ("sex_at_birth", 16), ("gender_identity", 100), ("address_line1", 200),
    ("address_line2", 200), ("address_city", 100), ("address_state", 2),
    ("address_postal_code", 10), ("emergency_contact_name", 200),
    ("emergency_contact_phone", 20), ("emergency_contact_relationship", 60),
    ("escort_name", 200), ("escort_phone", 20), ("escort_relationship", 60),
    ("merged_into_patient_id", 32),
]


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        for name, length in TEXT_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=False,
                                       server_default=""))
        batch.add_column(sa.Column("state", sa.String(16), nullable=False,
                                   server_default="ACTIVE"))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_patients_phone", "patients", ["phone"])
    op.create_table(
        "patient_duplicates",
        sa.Column("suspicion_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("other_patient_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(64), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("suspicion_id", name="pk_patient_duplicates"),
    )
    op.create_index("ix_patient_duplicates_patient_id", "patient_duplicates", ["patient_id"])
    op.create_index("ix_patient_duplicates_other_patient_id", "patient_duplicates",
                    ["other_patient_id"])
    op.create_table(
        "record_revisions",
        sa.Column("record_type", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", "revision",
                                name="pk_record_revisions"),
    )


def downgrade() -> None:
    op.drop_table("record_revisions")
    op.drop_index("ix_patient_duplicates_other_patient_id", table_name="patient_duplicates")
    op.drop_index("ix_patient_duplicates_patient_id", table_name="patient_duplicates")
    op.drop_table("patient_duplicates")
    op.drop_index("ix_patients_phone", table_name="patients")
    with op.batch_alter_table("patients") as batch:
        for name in ["revision", "state", *(n for n, _ in reversed(TEXT_COLUMNS))]:
            batch.drop_column(name)
