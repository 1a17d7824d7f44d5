"""Clinical work on a patient: screenings, safety flags, candidacy decisions, treatment plans."""

from clinic_common.db import UtcDateTime
from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, false

from clinic_intake.adapters.tables import metadata

screenings = Table(
    "screenings",
    metadata,
    Column("screening_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("instrument", String(32), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("total_score", Integer, nullable=False),
    Column("severity", String(60), nullable=False),
    Column("administered_at", UtcDateTime, nullable=False),
    Column("appointment_id", String(64), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_screenings_patient_id", screenings.c.patient_id, screenings.c.instrument,
      screenings.c.administered_at)

safety_flags = Table(
    "safety_flags",
    metadata,
    Column("flag_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("screening_id", String(32), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("acknowledged_by", String(64), nullable=False),
    Column("acknowledged_at", UtcDateTime),
    Column("acknowledge_note", String(2000), nullable=False),
    Column("revision", Integer, nullable=False),
)
Index("ix_safety_flags_patient_id", safety_flags.c.patient_id, safety_flags.c.raised_at)

candidacy_decisions = Table(
    "candidacy_decisions",
    metadata,
    Column("decision_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("findings", JSON, nullable=False),
    Column("overrides", JSON, nullable=False),
    Column("screening_ids", JSON, nullable=False),
    Column("consent_ids", JSON, nullable=False),
    Column("escort_required", Boolean, nullable=False, server_default=false()),
    Column("fasting_instruction", String(500), nullable=False, server_default=""),
)
Index("ix_candidacy_decisions_patient_id", candidacy_decisions.c.patient_id,
      candidacy_decisions.c.modality, candidacy_decisions.c.decided_at)

treatment_plans = Table(
    "treatment_plans",
    metadata,
    Column("plan_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("decision_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("ended_by", String(64), nullable=False),
    Column("end_reason", String(32), nullable=False),
)
Index("ix_treatment_plans_patient_id", treatment_plans.c.patient_id,
      treatment_plans.c.created_at)
# One active plan per patient and modality, also under concurrent requests.
Index("uq_treatment_plans_active", treatment_plans.c.patient_id, treatment_plans.c.modality,
      unique=True, sqlite_where=treatment_plans.c.state == "ACTIVE",
      postgresql_where=treatment_plans.c.state == "ACTIVE")

treatment_plan_versions = Table(
    "treatment_plan_versions",
    metadata,
    Column("plan_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("indication_code", String(10), nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("min_spacing_hours", Integer, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("dose_mcg", BigInteger, nullable=False),
    Column("computed_dose_mcg", BigInteger, nullable=False),
    Column("mg_per_kg", String(10), nullable=False),
    Column("weight_grams", Integer, nullable=False),
    Column("weight_vitals_id", String(32), nullable=False),
    Column("weight_measured_at", UtcDateTime),
    Column("adjustment_reason", String(500), nullable=False),
    # The dosing protocol (empty on versions written before protocols), the infusion's
    # minutes and rate, and the first session's dose where the protocol fixes it.
    Column("protocol_id", String(64), nullable=False, server_default=""),
    Column("duration_minutes", Integer, nullable=False, server_default="0"),
    Column("mg_per_kg_per_hour", String(12), nullable=False, server_default=""),
    Column("first_dose_mcg", BigInteger, nullable=False, server_default="0"),
    Column("reason", String(1000), nullable=False),
    Column("written_by", String(64), nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)
