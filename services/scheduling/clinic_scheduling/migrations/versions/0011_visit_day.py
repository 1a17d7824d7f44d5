"""The visit day: check-in checklist, treatment given, end and discharge on the appointment;
vital signs per visit; intake's safety flags; when a plan's weight was measured (expand
only).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)
VISIT_COLUMNS = (
    ("checked_in_at", Stamp, None),
    ("escort_confirmed", sa.Boolean(), sa.false()),
    ("fasting_confirmed", sa.Boolean(), sa.false()),
    ("started_at", Stamp, None),
    ("drug", sa.String(64), ""),
    ("dose_given_mcg", sa.BigInteger(), "0"),
    ("lot_number", sa.String(64), ""),
    ("started_by", sa.String(64), ""),
    ("ended_at", Stamp, None),
    ("discharged_at", Stamp, None),
    ("escort_name", sa.String(200), ""),
)


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        for name, kind, default in VISIT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=default is None,
                                       server_default=default))
    with op.batch_alter_table("treatment_plans") as batch:
        batch.add_column(sa.Column("weight_measured_at", Stamp, nullable=True))
    op.create_table(
        "appointment_vitals",
        sa.Column("vitals_id", sa.String(32), nullable=False),
        sa.Column("appointment_id", sa.String(32), nullable=False),
        sa.Column("taken_at", Stamp, nullable=False),
        sa.Column("systolic_mmhg", sa.Integer(), nullable=False),
        sa.Column("diastolic_mmhg", sa.Integer(), nullable=False),
        sa.Column("pulse_bpm", sa.Integer(), nullable=False),
        sa.Column("spo2_percent", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.appointment_id"],
                                name="fk_appointment_vitals_appointment_id_appointments",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vitals_id", name="pk_appointment_vitals"))
    op.create_index("ix_appointment_vitals_appointment", "appointment_vitals",
                    ["appointment_id", "taken_at"])
    op.create_table(
        "safety_flags",
        sa.Column("flag_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("raised_at", Stamp, nullable=False),
        sa.Column("acknowledged_at", Stamp),
        sa.PrimaryKeyConstraint("flag_id", name="pk_safety_flags"))
    op.create_index("ix_safety_flags_patient", "safety_flags", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_safety_flags_patient", table_name="safety_flags")
    op.drop_table("safety_flags")
    op.drop_index("ix_appointment_vitals_appointment", table_name="appointment_vitals")
    op.drop_table("appointment_vitals")
    with op.batch_alter_table("treatment_plans") as batch:
        batch.drop_column("weight_measured_at")
    with op.batch_alter_table("appointments") as batch:
        for name, _, _ in reversed(VISIT_COLUMNS):
            batch.drop_column(name)
