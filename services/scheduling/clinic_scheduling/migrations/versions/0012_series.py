"""Treatment series: the series an appointment belongs to (expand only).

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
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("series_id", sa.String(32), nullable=False,
                                   server_default=""))
    op.create_index("ix_appointments_patient_series", "appointments",
                    ["patient_id", "series_id"])


def downgrade() -> None:
    op.drop_index("ix_appointments_patient_series", table_name="appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("series_id")
