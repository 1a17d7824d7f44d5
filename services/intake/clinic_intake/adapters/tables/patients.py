"""Patients, their suspected duplicates, and the kept revisions of every record."""

from clinic_common.db import UtcDateTime
from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table

from clinic_intake.adapters.tables import metadata

patients = Table(
    "patients",
    metadata,
    Column("patient_id", String(32), primary_key=True),
    Column("given_name", String(200), nullable=False),
    Column("family_name", String(200), nullable=False),
    Column("preferred_name", String(200), nullable=False, default=""),
    Column("date_of_birth", Date, nullable=False),
    Column("phone", String(20), nullable=False, default=""),
    Column("email", String(320), nullable=False, default=""),
    Column("preferred_location_id", String(64), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sex_at_birth", String(16), nullable=False),
    Column("gender_identity", String(100), nullable=False),
    Column("address_line1", String(200), nullable=False),
    Column("address_line2", String(200), nullable=False),
    Column("address_city", String(100), nullable=False),
    Column("address_state", String(2), nullable=False),
    Column("address_postal_code", String(10), nullable=False),
    Column("emergency_contact_name", String(200), nullable=False),
    Column("emergency_contact_phone", String(20), nullable=False),
    Column("emergency_contact_relationship", String(60), nullable=False),
    Column("escort_name", String(200), nullable=False),
    Column("escort_phone", String(20), nullable=False),
    Column("escort_relationship", String(60), nullable=False),
    Column("state", String(16), nullable=False),
    Column("merged_into_patient_id", String(32), nullable=False),
    Column("revision", Integer, nullable=False),
)
Index("ix_patients_name", patients.c.family_name, patients.c.given_name, patients.c.patient_id)
Index("ix_patients_dob", patients.c.date_of_birth)
Index("ix_patients_phone", patients.c.phone)

patient_duplicates = Table(
    "patient_duplicates",
    metadata,
    Column("suspicion_id", String(32), primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("other_patient_id", String(32), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("flagged_at", UtcDateTime, nullable=False),
    Column("resolved_by", String(64), nullable=False),
    Column("resolved_at", UtcDateTime),
)
Index("ix_patient_duplicates_patient_id", patient_duplicates.c.patient_id)
Index("ix_patient_duplicates_other_patient_id", patient_duplicates.c.other_patient_id)

record_revisions = Table(
    "record_revisions",
    metadata,
    Column("record_type", String(32), primary_key=True),
    Column("record_id", String(32), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("snapshot", JSON, nullable=False),
    Column("changed_fields", JSON, nullable=False),
    Column("changed_by", String(64), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)
