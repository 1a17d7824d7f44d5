"""Contraindication screening and candidacy decisions."""

from __future__ import annotations

from clinic_intake.domain import errors
from clinic_intake.domain.contraindications import Finding, PatientFacts
from clinic_intake.service_layer.deps import Deps, patient, read

MODALITIES = ("IV_KETAMINE", "SPRAVATO", "TMS")


def checked_modality(value: str, field: str = "modality") -> str:
    if value not in MODALITIES:
        raise errors.field(field, f"must be one of {', '.join(MODALITIES)}")
    return value


def patient_facts(uow, patient_id: str, now) -> PatientFacts:
    return PatientFacts(patient_id, uow.history.for_patient(patient_id),
                        uow.vitals.latest(patient_id, "systolic_mmhg"), now)


def evaluate(patient_id: str, modality: str, deps: Deps) -> tuple[list[Finding], object]:
    """The findings of the rules for ``modality``, and when they were evaluated."""
    checked_modality(modality)

    def query(uow):
        patient(uow, patient_id)
        now = deps.clock()
        return deps.rules.evaluate(modality, patient_facts(uow, patient_id, now)), now

    return read(deps, query)
