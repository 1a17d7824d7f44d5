"""Intake's resource names, and what every change request carries."""

from __future__ import annotations

from clinic_common.names import Name
from clinic_common.runner import RequestKey

PATIENT = Name("patients/{patient}")
COVERAGE = Name("patients/{patient}/coverages/{coverage}")
HISTORY_ENTRY = Name("patients/{patient}/historyEntries/{entry}")
VITALS = Name("patients/{patient}/vitals/{vitals}")
CONSENT = Name("patients/{patient}/consents/{consent}")
SCREENING = Name("patients/{patient}/screenings/{screening}")
SAFETY_FLAG = Name("patients/{patient}/safetyFlags/{flag}")
DECISION = Name("patients/{patient}/candidacyDecisions/{decision}")
PLAN = Name("patients/{patient}/treatmentPlans/{plan}")


def patient_id(name: str, field: str = "name") -> str:
    return PATIENT.parse_one(name, field)


def change(request) -> dict:
    """The fields every change command carries: the AIP-155 retry key."""
    return {"key": RequestKey.of(request)}
