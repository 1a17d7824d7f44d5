"""Intake's tables, and the mapping of domain classes onto them."""

from clinic_common.db import new_metadata, platform_tables
from sqlalchemy import Column, Date, DateTime, Index, String, Table
from sqlalchemy.orm import registry

from clinic_intake.domain import model

metadata = new_metadata()
platform_tables(metadata)

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
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_patients_name", patients.c.family_name, patients.c.given_name, patients.c.patient_id)
Index("ix_patients_dob", patients.c.date_of_birth)

mapper_registry = registry(metadata=metadata)
_mapped = False


def start_mappers() -> None:
    """Map domain classes to tables, once per process."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(model.Patient, patients)
    _mapped = True
