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
COVERAGES = f"{V1}.CoverageService"
RELATIONSHIPS = ("self", "spouse", "child", "other")
PLAN_TYPES = ("ppo", "hmo", "epo", "pos", "medicare", "medicaid", "tricare", "other")


def patient_name(patient: str) -> str:
    """``patients/{id}`` from an id or a name."""
    return patient if patient.startswith("patients/") else f"patients/{patient}"


def coverage_name(coverage: str, patient: str = "") -> str:
    """``patients/{patient}/coverages/{id}`` from a name, or from an id and its patient."""
    if coverage.startswith("patients/"):
        return coverage
    if not patient:
        raise ValueError(f"{coverage}: give the name patients/P/coverages/C, or the patient")
    return f"{patient_name(patient)}/coverages/{coverage}"


def _date(value: str | dt.date) -> dict:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
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

    # Insurance coverages (front desk, billing, admin)
    def add_coverage(self, patient: str, *, payer_id: str, member_id: str,
                     effective_date: str | dt.date, priority: int = 1,
                     relationship: str = "self", payer_name: str = "", group_number: str = "",
                     plan_type: str = "", end_date: str | dt.date | None = None,
                     subscriber_name: str = "",
                     subscriber_date_of_birth: str | dt.date | None = None,
                     request_id: str = "") -> Message:
        """Record a coverage (``relationship``: self, spouse, child or other; a subscriber
        other than the patient needs their name and date of birth). Refused with
        ``COVERAGE_EXISTS`` (the same card in force) or ``COVERAGE_PRIORITY_TAKEN``."""
        fields: dict = {
            "payer_id": payer_id, "payer_name": payer_name, "member_id": member_id,
            "group_number": group_number, "priority": priority,
            "subscriber_relationship": f"SUBSCRIBER_RELATIONSHIP_{relationship.upper()}",
            "plan_type": f"PLAN_TYPE_{plan_type.upper()}" if plan_type else 0,
            "subscriber_name": subscriber_name, "effective_date": _date(effective_date)}
        if end_date:
            fields["end_date"] = _date(end_date)
        if subscriber_date_of_birth:
            fields["subscriber_date_of_birth"] = _date(subscriber_date_of_birth)
        coverage = _message(self.caller, f"{COVERAGES}/CreateCoverage", "coverage", **fields)
        return self.caller.call(f"{COVERAGES}/CreateCoverage", parent=patient_name(patient),
                                coverage=coverage, request_id=request_id).coverage

    def coverages(self, patient: str, *, on: str | dt.date | None = None) -> Iterator[Message]:
        """A patient's coverages by priority, then effective date; with ``on``, only those in
        force that day, in the order payers are billed."""
        if on is None:
            return self.caller.pages(f"{COVERAGES}/ListCoverages", "coverages",
                                     parent=patient_name(patient))
        return self.caller.pages(f"{COVERAGES}/ListActiveCoverages", "coverages",
                                 parent=patient_name(patient), date=_date(on))

    def get_coverage(self, coverage: str, patient: str = "") -> Message:
        return self.caller.call(f"{COVERAGES}/GetCoverage",
                                name=coverage_name(coverage, patient)).coverage

    def end_coverage(self, coverage: str, end_date: str | dt.date, *, patient: str = "",
                     request_id: str = "") -> Message:
        """End a coverage on ``end_date`` (its last day in force); the earlier revision stays."""
        return self.caller.call(f"{COVERAGES}/EndCoverage", name=coverage_name(coverage, patient),
                                end_date=_date(end_date), request_id=request_id).coverage
