"""Platform tables, locations, appointment types (seeded), appointments, intake projection.

On PostgreSQL, exclusion constraints (btree_gist over tstzrange) make it impossible
for two holding appointments of one patient, or two active bookings of one
resource, to overlap, whatever the concurrency. SQLite serializes writers
(BEGIN IMMEDIATE) and the booking checks run inside that transaction.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from clinic_common import platform_migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

HOLDING = "('BOOKED', 'ARRIVED', 'CHECKED_IN', 'FULFILLED')"
Stamp = sa.DateTime(timezone=True)


def _location_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["location_id"], ["locations.location_id"],
                                   name=f"fk_{table}_location_id_locations", ondelete="CASCADE")


def _type_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["type_code"], ["appointment_types.code"],
                                   name=f"fk_{table}_type_code_appointment_types",
                                   ondelete="CASCADE")


def _locations() -> None:
    op.create_table(
        "locations",
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("location_id", name="pk_locations"))
    op.create_table(
        "location_hours",
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("open_time", sa.Time(), nullable=False),
        sa.Column("close_time", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "weekday", "open_time", name="pk_location_hours"),
        _location_fk("location_hours"))
    op.create_table(
        "location_closures",
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("closure_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "closure_date", name="pk_location_closures"),
        _location_fk("location_closures"))
    op.create_table(
        "location_certifications",
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "code", name="pk_location_certifications"),
        _location_fk("location_certifications"))
    op.create_table(
        "location_resources",
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("resource_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "resource_id", name="pk_location_resources"),
        _location_fk("location_resources"))


def _appointment_types() -> None:
    types = op.create_table(
        "appointment_types",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("observation_minutes", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("required_certification", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_appointment_types"))
    needs = op.create_table(
        "appointment_type_needs",
        sa.Column("type_code", sa.String(64), nullable=False),
        sa.Column("need_kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("type_code", "need_kind", "code",
                                name="pk_appointment_type_needs"),
        _type_fk("appointment_type_needs"))
    lines = op.create_table(
        "appointment_type_lines",
        sa.Column("type_code", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("units_from_dose", sa.Boolean(), nullable=False),
        sa.Column("dose_above_mg", sa.Integer()),
        sa.Column("dose_at_most_mg", sa.Integer()),
        sa.PrimaryKeyConstraint("type_code", "position", name="pk_appointment_type_lines"),
        _type_fk("appointment_type_lines"))
    _seed_types(types, needs, lines)


def _line(type_code, position, code, units=1, from_dose=False, above=None, at_most=None):
    return {"type_code": type_code, "position": position, "procedure_code": code,
            "units": units, "units_from_dose": from_dose, "dose_above_mg": above,
            "dose_at_most_mg": at_most}


def _seed_types(types, needs, lines) -> None:
    """The clinics' visit types as of this release; later changes are data, not code."""
    op.bulk_insert(types, [
        {"code": code, "display_name": name, "duration_minutes": minutes,
         "observation_minutes": observed, "modality": modality, "required_certification": cert}
        for code, name, minutes, observed, modality, cert in [
            ("FREE_CONSULTATION", "Free consultation", 30, 0, "", ""),
            ("PSYCHIATRIC_EVALUATION", "Psychiatric evaluation", 60, 0, "", ""),
            ("IV_KETAMINE_INFUSION", "IV ketamine infusion", 90, 45, "IV_KETAMINE", ""),
            ("SPRAVATO_SESSION", "Spravato session", 135, 120, "SPRAVATO", "SPRAVATO_REMS"),
            ("TMS_SESSION", "TMS session", 40, 0, "TMS", ""),
            ("FOLLOW_UP", "Follow-up", 30, 0, "", ""),
        ]])
    op.bulk_insert(needs, [
        {"type_code": code, "need_kind": kind, "code": need} for code, kind, need in [
            ("FREE_CONSULTATION", "RESOURCE", "CONSULT_ROOM"),
            ("FREE_CONSULTATION", "STAFF", "PROVIDER"),
            ("PSYCHIATRIC_EVALUATION", "RESOURCE", "CONSULT_ROOM"),
            ("PSYCHIATRIC_EVALUATION", "STAFF", "PROVIDER"),
            ("IV_KETAMINE_INFUSION", "RESOURCE", "INFUSION_CHAIR"),
            ("IV_KETAMINE_INFUSION", "STAFF", "RN"),
            ("SPRAVATO_SESSION", "RESOURCE", "TREATMENT_ROOM"),
            ("SPRAVATO_SESSION", "STAFF", "OBSERVER"),
            ("TMS_SESSION", "RESOURCE", "TMS_DEVICE"),
            ("TMS_SESSION", "STAFF", "TMS_TECHNICIAN"),
            ("FOLLOW_UP", "STAFF", "PROVIDER"),
        ]])
    op.bulk_insert(lines, [
        _line("PSYCHIATRIC_EVALUATION", 1, "90792"),
        _line("IV_KETAMINE_INFUSION", 1, "96365"),
        _line("IV_KETAMINE_INFUSION", 2, "J3490", units=0, from_dose=True),
        _line("SPRAVATO_SESSION", 1, "G2082", at_most=56),
        _line("SPRAVATO_SESSION", 2, "G2083", above=56),
        _line("TMS_SESSION", 1, "90868"),
        _line("FOLLOW_UP", 1, "99213"),
    ])


def _appointments() -> None:
    op.create_table(
        "appointments",
        sa.Column("appointment_id", sa.String(32), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("appointment_type", sa.String(64), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("cancel_reason", sa.String(64), nullable=False),
        sa.Column("late_cancellation", sa.Boolean(), nullable=False),
        sa.Column("rendering_provider_id", sa.String(64), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", name="pk_appointments"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.location_id"],
                                name="fk_appointments_location_id_locations"),
        sa.ForeignKeyConstraint(["appointment_type"], ["appointment_types.code"],
                                name="fk_appointments_appointment_type_appointment_types"),
        sa.CheckConstraint("end_time > start_time", name="ck_appointments_ends_after_start"))
    op.create_index("ix_appointments_start", "appointments", ["start_time", "appointment_id"])
    op.create_index("ix_appointments_location_start", "appointments",
                    ["location_id", "start_time"])
    op.create_index("ix_appointments_patient_start", "appointments", ["patient_id", "start_time"])
    op.create_index("ix_appointments_service_date", "appointments", ["service_date"])
    op.create_table(
        "appointment_resources",
        sa.Column("appointment_id", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(63), nullable=False),
        sa.Column("location_id", sa.String(63), nullable=False),
        sa.Column("start_time", Stamp, nullable=False),
        sa.Column("end_time", Stamp, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", "resource_id",
                                name="pk_appointment_resources"),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.appointment_id"],
                                name="fk_appointment_resources_appointment_id_appointments",
                                ondelete="CASCADE"))
    op.create_index("ix_appointment_resources_slot", "appointment_resources",
                    ["location_id", "resource_id", "start_time"])


def _exclusion_constraints() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_patient_overlap "
        "EXCLUDE USING gist (patient_id WITH =, tstzrange(start_time, end_time) WITH &&) "
        f"WHERE (status IN {HOLDING})")
    op.execute(
        "ALTER TABLE appointment_resources ADD CONSTRAINT ex_appointment_resources_overlap "
        "EXCLUDE USING gist (location_id WITH =, resource_id WITH =, "
        "tstzrange(start_time, end_time) WITH &&) WHERE (active)")


def _projection() -> None:
    op.create_table(
        "known_patients",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("preferred_location_id", sa.String(64), nullable=False),
        sa.Column("merged_into", sa.String(64)),
        sa.Column("registered_at", Stamp),
        sa.PrimaryKeyConstraint("patient_id", name="pk_known_patients"))
    op.create_index("ix_known_patients_merged_into", "known_patients", ["merged_into"])
    op.create_table(
        "clearances",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(48), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name="pk_clearances"))
    op.create_index("ix_clearances_patient", "clearances",
                    ["patient_id", "modality", "decided_at"])
    op.create_table(
        "treatment_plans",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("indication_code", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("series_sessions", sa.Integer(), nullable=False),
        sa.Column("min_spacing_hours", sa.Integer(), nullable=False),
        sa.Column("series_window_days", sa.Integer(), nullable=False),
        sa.Column("dose_mcg", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("end_reason", sa.String(64), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("ended_at", Stamp),
        sa.PrimaryKeyConstraint("plan_id", name="pk_treatment_plans"))
    op.create_index("ix_treatment_plans_patient", "treatment_plans", ["patient_id", "modality"])


def upgrade() -> None:
    platform_migration.create_v1()
    _locations()
    _appointment_types()
    _appointments()
    _projection()
    if op.get_bind().dialect.name == "postgresql":
        _exclusion_constraints()


def downgrade() -> None:
    for table in ["treatment_plans", "clearances", "known_patients", "appointment_resources",
                  "appointments", "appointment_type_lines", "appointment_type_needs",
                  "appointment_types", "location_resources", "location_certifications",
                  "location_closures", "location_hours", "locations"]:
        op.drop_table(table)
    platform_migration.drop_v1()
