"""Who may call each of intake's methods: one rule per method (see clinic_common.access).

Minimum necessary: the front desk registers patients and keeps demographics,
insurance and consents; billing sees demographics and insurance; clinicians
(nurses, providers, TMS technicians) see clinical history, vitals, screening
answers and plans. Only a provider clears a patient for treatment or signs,
amends and ends a plan; only a nurse or provider acknowledges a safety flag.
Intake's records are the organization's: a patient may be seen at any
location, so no method here is location-bound except recording vitals, which
names where they were measured.
"""

from __future__ import annotations

from clinic.intake.v1 import (
    candidacy_service_pb2,
    consent_service_pb2,
    coverage_service_pb2,
    history_service_pb2,
    intake_service_pb2,
    screening_service_pb2,
    treatment_plan_service_pb2,
)
from clinic_common.access import location_field, rule
from clinic_common.identity import Role

DESK, NURSE, PROVIDER, TECH = Role.FRONT_DESK, Role.NURSE, Role.PROVIDER, Role.TMS_TECHNICIAN
BILLING, ADMIN = Role.BILLING, Role.ADMIN
CLINICAL = (NURSE, PROVIDER, TECH)
EVERY_STAFF = (DESK, NURSE, PROVIDER, TECH, BILLING, Role.OPS, ADMIN)


def _service(module, name: str):
    return module.DESCRIPTOR.services_by_name[name]


PERMISSIONS = {
    _service(intake_service_pb2, "IntakeService"): {
        "CreatePatient": rule(DESK, NURSE, PROVIDER, ADMIN),
        "GetPatient": rule(DESK, *CLINICAL, BILLING, ADMIN),
        "ListPatients": rule(DESK, *CLINICAL, BILLING, ADMIN),
        "UpdatePatient": rule(DESK, NURSE, PROVIDER, ADMIN),
        "MergePatients": rule(DESK, ADMIN),
        "ConfirmDistinctPatients": rule(DESK, ADMIN),
        # Revisions of clinical records need a clinician (checked in the servicer).
        "ListRecordRevisions": rule(DESK, NURSE, PROVIDER, BILLING, ADMIN),
    },
    _service(coverage_service_pb2, "CoverageService"): {
        "CreateCoverage": rule(DESK, BILLING, ADMIN),
        "GetCoverage": rule(DESK, BILLING, ADMIN),
        "ListCoverages": rule(DESK, BILLING, ADMIN),
        "ListActiveCoverages": rule(DESK, BILLING, ADMIN),
        "EndCoverage": rule(DESK, BILLING, ADMIN),
    },
    _service(history_service_pb2, "HistoryService"): {
        "CreateHistoryEntry": rule(NURSE, PROVIDER),
        "GetHistoryEntry": rule(*CLINICAL),
        "ListHistoryEntries": rule(*CLINICAL),
        "AmendHistoryEntry": rule(NURSE, PROVIDER),
        "RecordVitals": rule(NURSE, PROVIDER, location=location_field("vitals.location_id")),
        "ListVitals": rule(*CLINICAL),
        "GetClinicalSummary": rule(*CLINICAL),
    },
    _service(consent_service_pb2, "ConsentService"): {
        "CreateConsent": rule(DESK, *CLINICAL),
        "GetConsent": rule(DESK, *CLINICAL, BILLING, ADMIN),
        "ListConsents": rule(DESK, *CLINICAL, BILLING, ADMIN),
        "RevokeConsent": rule(DESK, NURSE, PROVIDER, ADMIN),
    },
    _service(screening_service_pb2, "ScreeningService"): {
        "ListInstruments": rule(*EVERY_STAFF, phi=False),
        "CreateScreening": rule(*CLINICAL),
        "GetScreening": rule(*CLINICAL),
        "ListScreenings": rule(*CLINICAL),
        "GetScoreTrend": rule(*CLINICAL),
        "ListSafetyFlags": rule(*CLINICAL),
        "AcknowledgeSafetyFlag": rule(NURSE, PROVIDER),
    },
    _service(candidacy_service_pb2, "CandidacyService"): {
        "EvaluateContraindications": rule(NURSE, PROVIDER),
        "DecideCandidacy": rule(PROVIDER),
        "GetCandidacyDecision": rule(*CLINICAL),
        "ListCandidacyDecisions": rule(*CLINICAL),
    },
    _service(treatment_plan_service_pb2, "TreatmentPlanService"): {
        "CreateTreatmentPlan": rule(PROVIDER),
        "GetTreatmentPlan": rule(*CLINICAL),
        "ListTreatmentPlans": rule(*CLINICAL),
        "ListTreatmentPlanVersions": rule(*CLINICAL),
        "AmendTreatmentPlan": rule(PROVIDER),
        "EndTreatmentPlan": rule(PROVIDER),
    },
}
