"""Plans keep intake's infusion length; a type may take its length from the plan; two
new types: the first TMS session with motor-threshold mapping, and the pain-protocol
ketamine infusion (40 min to 4 h, as the patient's plan says, then recovery).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NEW_TYPES = ("TMS_MAPPING", "PAIN_KETAMINE_INFUSION")


def upgrade() -> None:
    with op.batch_alter_table("treatment_plans") as batch:
        batch.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("appointment_types") as batch:
        batch.add_column(sa.Column("duration_from_plan", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    types = sa.table("appointment_types", sa.column("code", sa.String),
                     sa.column("display_name", sa.String),
                     sa.column("duration_minutes", sa.Integer),
                     sa.column("observation_minutes", sa.Integer),
                     sa.column("modality", sa.String),
                     sa.column("required_certification", sa.String),
                     sa.column("late_cancel_fee", sa.Boolean),
                     sa.column("duration_from_plan", sa.Boolean))
    needs = sa.table("appointment_type_needs", sa.column("type_code", sa.String),
                     sa.column("need_kind", sa.String), sa.column("code", sa.String))
    lines = sa.table("appointment_type_lines", sa.column("type_code", sa.String),
                     sa.column("position", sa.Integer), sa.column("procedure_code", sa.String),
                     sa.column("units", sa.Integer), sa.column("units_from_dose", sa.Boolean),
                     sa.column("dose_above_mg", sa.Integer),
                     sa.column("dose_at_most_mg", sa.Integer))
    # The pain infusion's 85 minutes are its shortest protocol (40) plus recovery (45),
    # used when the plan gives no length.
    op.bulk_insert(types, [
        {"code": "TMS_MAPPING", "display_name": "TMS mapping (first session)",
         "duration_minutes": 90, "observation_minutes": 0, "modality": "TMS",
         "required_certification": "", "late_cancel_fee": True, "duration_from_plan": False},
        {"code": "PAIN_KETAMINE_INFUSION", "display_name": "Ketamine infusion, pain protocol",
         "duration_minutes": 85, "observation_minutes": 45, "modality": "IV_KETAMINE",
         "required_certification": "", "late_cancel_fee": True, "duration_from_plan": True},
    ])
    op.bulk_insert(needs, [
        {"type_code": "TMS_MAPPING", "need_kind": "RESOURCE", "code": "TMS_DEVICE"},
        {"type_code": "TMS_MAPPING", "need_kind": "STAFF", "code": "TMS_TECHNICIAN"},
        {"type_code": "TMS_MAPPING", "need_kind": "STAFF", "code": "PROVIDER"},
        {"type_code": "PAIN_KETAMINE_INFUSION", "need_kind": "RESOURCE", "code": "INFUSION_CHAIR"},
        {"type_code": "PAIN_KETAMINE_INFUSION", "need_kind": "STAFF", "code": "RN"},
    ])
    # Billable lines as the IV ketamine infusion's and the TMS session's; billing's own
    # coding of long infusions (96366) and mapping (90867) is another change.
    op.bulk_insert(lines, [
        {"type_code": "TMS_MAPPING", "position": 1, "procedure_code": "90867", "units": 1,
         "units_from_dose": False, "dose_above_mg": None, "dose_at_most_mg": None},
        {"type_code": "PAIN_KETAMINE_INFUSION", "position": 1, "procedure_code": "96365",
         "units": 1, "units_from_dose": False, "dose_above_mg": None, "dose_at_most_mg": None},
        {"type_code": "PAIN_KETAMINE_INFUSION", "position": 2, "procedure_code": "J3490",
         "units": 0, "units_from_dose": True, "dose_above_mg": None, "dose_at_most_mg": None},
    ])


def downgrade() -> None:
    for table in ("appointment_type_lines", "appointment_type_needs"):
        op.execute(sa.text(f"delete from {table} where type_code in :codes")
                   .bindparams(sa.bindparam("codes", expanding=True, value=list(NEW_TYPES))))
    op.execute(sa.text("delete from appointment_types where code in :codes")
               .bindparams(sa.bindparam("codes", expanding=True, value=list(NEW_TYPES))))
    with op.batch_alter_table("appointment_types") as batch:
        batch.drop_column("duration_from_plan")
    with op.batch_alter_table("treatment_plans") as batch:
        batch.drop_column("duration_minutes")
