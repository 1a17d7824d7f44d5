"""Who may be booked for a treatment: a patient a physician cleared for its modality, with an
active treatment plan of that modality. Intake decides both; scheduling reads its projection."""

from __future__ import annotations

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.domain.projections import Clearance, TreatmentPlan


def require_cleared_with_plan(kind: AppointmentType, patient_id: str,
                              latest_clearance: Clearance | None,
                              active_plan: TreatmentPlan | None) -> None:
    """Refuse a treatment unless the latest decision for its modality cleared the patient
    and a plan of that modality is active. Visits without a modality need neither."""
    if not kind.needs_clearance:
        return
    if latest_clearance is None or not latest_clearance.cleared:
        raise errors.PatientNotCleared(patient_id, kind.modality, kind.code,
                                       latest_clearance.outcome if latest_clearance else "")
    if active_plan is None:
        raise errors.NoActivePlan(patient_id, kind.modality, kind.code)
