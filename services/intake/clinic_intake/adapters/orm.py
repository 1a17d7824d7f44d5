"""The mapping of intake's domain classes onto its tables (imperative, as the domain knows
nothing of SQLAlchemy)."""

from sqlalchemy.orm import composite, registry

from clinic_intake.adapters.tables import care, metadata, records
from clinic_intake.adapters.tables import patients as t
from clinic_intake.domain import (
    candidacy,
    consent,
    coverage,
    duplicates,
    history,
    model,
    plans,
    revisions,
    screening,
    vitals,
)
from clinic_intake.domain.common import Contact, PostalAddress

__all__ = ["metadata", "start_mappers"]

mapper_registry = registry(metadata=metadata)
_mapped = False


def _contact(prefix: str):
    c = t.patients.c
    return composite(Contact, c[f"{prefix}_name"], c[f"{prefix}_phone"],
                     c[f"{prefix}_relationship"])


def _map_patients() -> None:
    c = t.patients.c
    mapper_registry.map_imperatively(model.Patient, t.patients, properties={
        "address": composite(PostalAddress, c.address_line1, c.address_line2, c.address_city,
                             c.address_state, c.address_postal_code),
        "emergency_contact": _contact("emergency_contact"),
        "escort": _contact("escort"),
    }, version_id_col=c.revision, version_id_generator=False)
    mapper_registry.map_imperatively(duplicates.DuplicateSuspicion, t.patient_duplicates)
    mapper_registry.map_imperatively(revisions.Revision, t.record_revisions)


def _map_records() -> None:
    mapper_registry.map_imperatively(
        coverage.Coverage, records.coverages,
        version_id_col=records.coverages.c.revision, version_id_generator=False)
    mapper_registry.map_imperatively(
        history.HistoryEntry, records.history_entries,
        version_id_col=records.history_entries.c.revision, version_id_generator=False)
    mapper_registry.map_imperatively(vitals.Vitals, records.vitals)
    mapper_registry.map_imperatively(
        consent.Consent, records.consents,
        version_id_col=records.consents.c.revision, version_id_generator=False)


def _map_care() -> None:
    mapper_registry.map_imperatively(screening.Screening, care.screenings)
    mapper_registry.map_imperatively(
        screening.SafetyFlag, care.safety_flags,
        version_id_col=care.safety_flags.c.revision, version_id_generator=False)


def _map_decisions() -> None:
    mapper_registry.map_imperatively(candidacy.CandidacyDecision, care.candidacy_decisions)
    mapper_registry.map_imperatively(
        plans.TreatmentPlan, care.treatment_plans,
        version_id_col=care.treatment_plans.c.version, version_id_generator=False)
    mapper_registry.map_imperatively(plans.PlanVersion, care.treatment_plan_versions)


def start_mappers() -> None:
    """Map domain classes to tables, once per process."""
    global _mapped
    if _mapped:
        return
    _map_patients()
    _map_records()
    _map_care()
    _map_decisions()
    _mapped = True
