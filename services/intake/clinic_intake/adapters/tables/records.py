"""Records kept under a patient: coverages, history entries, vitals, consents."""

from clinic_common.db import UtcDateTime
from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, String, Table

from clinic_intake.adapters.tables import metadata

coverages = Table(
    "coverages",
    metadata,
    Column("coverage_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("payer_name", String(200), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("group_number", String(64), nullable=False),
    Column("subscriber_name", String(200), nullable=False),
    Column("subscriber_date_of_birth", Date),
    Column("subscriber_relationship", String(16), nullable=False),
    Column("plan_type", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("end_date", Date),
    Column("card_front_image_uri", String(500), nullable=False),
    Column("card_back_image_uri", String(500), nullable=False),
    Column("ended", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_coverages_patient_id", coverages.c.patient_id, coverages.c.priority,
      coverages.c.effective_date)

history_entries = Table(
    "history_entries",
    metadata,
    Column("entry_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("data", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_history_entries_patient_id", history_entries.c.patient_id,
      history_entries.c.created_at)

vitals = Table(
    "vitals",
    metadata,
    Column("vitals_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("measured_at", UtcDateTime, nullable=False),
    Column("height_mm", Integer),
    Column("weight_grams", Integer),
    Column("systolic_mmhg", Integer),
    Column("diastolic_mmhg", Integer),
    Column("pulse_bpm", Integer),
    Column("recorded_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("location_id", String(64), nullable=False, server_default=""),
    Column("spo2_percent", Integer),
)
Index("ix_vitals_patient_id", vitals.c.patient_id, vitals.c.measured_at)

consents = Table(
    "consents",
    metadata,
    Column("consent_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("consent_type", String(40), nullable=False),
    Column("form_version", String(40), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("signed_by", String(200), nullable=False),
    Column("signer_relationship", String(60), nullable=False),
    Column("witnessed_by", String(64), nullable=False),
    Column("rems_patient_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revoked_by", String(64), nullable=False),
    Column("revoke_reason", String(500), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_consents_patient_id", consents.c.patient_id, consents.c.signed_at)
