"""Clinical work on a patient: screenings, safety flags, candidacy decisions, treatment plans."""

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Table

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
    Column("administered_at", DateTime(timezone=True), nullable=False),
    Column("appointment_id", String(64), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
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
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_by", String(64), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
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
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("findings", JSON, nullable=False),
    Column("overrides", JSON, nullable=False),
    Column("screening_ids", JSON, nullable=False),
    Column("consent_ids", JSON, nullable=False),
)
Index("ix_candidacy_decisions_patient_id", candidacy_decisions.c.patient_id,
      candidacy_decisions.c.modality, candidacy_decisions.c.decided_at)
