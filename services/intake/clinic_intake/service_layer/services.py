"""Intake's use cases. Each owns its transaction; events go out through the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.protoconv import timestamp
from clinic_common.unit_of_work import run_once
from clinic.intake.v1 import events_pb2

from clinic_intake.domain import errors, model
from clinic_intake.service_layer.unit_of_work import IntakeUnitOfWork


@dataclass(frozen=True)
class RegisterPatient:
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    phone: str = ""
    email: str = ""
    preferred_name: str = ""
    preferred_location_id: str = ""
    request_id: str = ""
    fingerprint: str = ""


def register_patient(cmd: RegisterPatient, uow: IntakeUnitOfWork) -> str:
    """Registers a patient and announces it; returns the patient id."""
    with uow:
        def action() -> str:
            patient = model.Patient.register(
                given_name=cmd.given_name, family_name=cmd.family_name,
                date_of_birth=cmd.date_of_birth, phone=cmd.phone, email=cmd.email,
                preferred_name=cmd.preferred_name,
                preferred_location_id=cmd.preferred_location_id)
            uow.patients.add(patient)
            uow.emit(events_pb2.PatientRegistered(
                patient_id=patient.patient_id,
                preferred_location_id=patient.preferred_location_id,
                registered_time=timestamp(patient.created_at)), key=patient.patient_id)
            return patient.patient_id

        return run_once(uow, "CreatePatient", cmd.request_id, cmd.fingerprint, action)


def get_patient(patient_id: str, uow: IntakeUnitOfWork) -> model.Patient:
    with uow:
        patient = uow.patients.get(patient_id)
        if patient is None:
            raise errors.PatientNotFound(patient_id)
        return patient


def list_patients(uow: IntakeUnitOfWork, *, limit: int, after: tuple[str, str, str] | None,
                  date_of_birth: dt.date | None) -> list[model.Patient]:
    with uow:
        return uow.patients.list(limit=limit, after=after, date_of_birth=date_of_birth)
