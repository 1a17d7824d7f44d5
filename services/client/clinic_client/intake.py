"""Typed calls of intake's services, as the front desk and clinicians make them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from clinic_client.calls import Caller

V1 = "clinic.intake.v1"
PATIENTS = f"{V1}.IntakeService"
HISTORY = f"{V1}.HistoryService"
SCREENING = f"{V1}.ScreeningService"
CONSENT = f"{V1}.ConsentService"
CANDIDACY = f"{V1}.CandidacyService"
PLANS = f"{V1}.TreatmentPlanService"


def patient_name(patient: str) -> str:
    """``patients/{id}`` from an id or a name."""
    return patient if patient.startswith("patients/") else f"patients/{patient}"


def _date(value: str) -> dict:
    day = dt.date.fromisoformat(value)
    return {"year": day.year, "month": day.month, "day": day.day}


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC))
    return stamp


def _message(caller: Caller, method: str, field: str, **values) -> Message:
    """The ``field`` message of ``method``'s request, filled from ``values``."""
    request = caller.request(method)
    getattr(request, field).MergeFrom(type(getattr(request, field))(**values))
    return getattr(request, field)


class IntakeClient:
    def __init__(self, caller: Caller):
        self.caller = caller
        self.call, self.pages, self.request = caller.call, caller.pages, caller.request

    # Patients
    def register_patient(self, *, given_name: str, family_name: str, date_of_birth: str,
                         phone: str = "", email: str = "", location: str = "") -> Message:
        patient = _message(self.caller, f"{PATIENTS}/CreatePatient", "patient",
                           given_name=given_name, family_name=family_name, phone=phone,
                           email=email, preferred_location_id=location,
                           date_of_birth=_date(date_of_birth))
        return self.caller.call(f"{PATIENTS}/CreatePatient", patient=patient).patient

    def get_patient(self, patient: str) -> Message:
        return self.caller.call(f"{PATIENTS}/GetPatient", name=patient_name(patient)).patient

    def find_patients(self, *, name_prefix: str = "", phone: str = "",
                      date_of_birth: str = "") -> Iterator[Message]:
        fields: dict = {"name_prefix": name_prefix, "phone": phone}
        if date_of_birth:
            fields["date_of_birth"] = _date(date_of_birth)
        return self.caller.pages(f"{PATIENTS}/ListPatients", "patients", **fields)

    # Clinical records
    def record_vitals(self, patient: str, *, weight_grams: int = 0, systolic: int = 0,
                      diastolic: int = 0, location: str = "") -> Message:
        vitals = _message(self.caller, f"{HISTORY}/RecordVitals", "vitals",
                          measure_time=_now(), weight_grams=weight_grams,
                          systolic_mmhg=systolic, diastolic_mmhg=diastolic,
                          location_id=location)
        return self.caller.call(f"{HISTORY}/RecordVitals", parent=patient_name(patient),
                                vitals=vitals).vitals

    def record_screening(self, patient: str, instrument: str, answers: list[int]) -> Message:
        screening = _message(self.caller, f"{SCREENING}/CreateScreening", "screening",
                             instrument=instrument, administer_time=_now(),
                             answers=[{"item": i, "value": v} for i, v in enumerate(answers, 1)])
        return self.caller.call(f"{SCREENING}/CreateScreening", parent=patient_name(patient),
                                screening=screening).screening

    def record_consent(self, patient: str, consent_type: str, *, form_version: str,
                       signed_by: str = "patient") -> Message:
        consent = _message(self.caller, f"{CONSENT}/CreateConsent", "consent",
                           type=f"CONSENT_TYPE_{consent_type.upper()}", form_version=form_version,
                           sign_time=_now(), signed_by=signed_by)
        return self.caller.call(f"{CONSENT}/CreateConsent", parent=patient_name(patient),
                                consent=consent).consent

    # Candidacy and plans
    def evaluate(self, patient: str, modality: str) -> list[Message]:
        return list(self.caller.call(f"{CANDIDACY}/EvaluateContraindications",
                                     parent=patient_name(patient),
                                     modality=f"MODALITY_{modality.upper()}").findings)

    def decide(self, patient: str, modality: str, outcome: str, reason: str) -> Message:
        return self.caller.call(f"{CANDIDACY}/DecideCandidacy", parent=patient_name(patient),
                                modality=f"MODALITY_{modality.upper()}",
                                outcome=f"CANDIDACY_OUTCOME_{outcome.upper()}",
                                reason=reason).decision

    def create_plan(self, patient: str, modality: str, indication_code: str) -> Message:
        plan = _message(self.caller, f"{PLANS}/CreateTreatmentPlan", "plan",
                        modality=f"MODALITY_{modality.upper()}", indication_code=indication_code)
        return self.caller.call(f"{PLANS}/CreateTreatmentPlan", parent=patient_name(patient),
                                plan=plan).plan

    def plans(self, patient: str) -> Iterator[Message]:
        return self.caller.pages(f"{PLANS}/ListTreatmentPlans", "plans",
                                 parent=patient_name(patient))
