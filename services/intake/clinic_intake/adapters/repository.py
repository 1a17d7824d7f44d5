"""Where intake's aggregates are kept: the port and its SQLAlchemy adapter."""

from __future__ import annotations

import abc
import datetime as dt

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from clinic_intake.domain import model


class PatientRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, patient: model.Patient) -> None: ...

    @abc.abstractmethod
    def get(self, patient_id: str) -> model.Patient | None: ...

    @abc.abstractmethod
    def list(self, *, limit: int, after: tuple[str, str, str] | None = None,
             date_of_birth: dt.date | None = None) -> list[model.Patient]:
        """Patients ordered by (family_name, given_name, patient_id), after a key."""


class SqlPatientRepository(PatientRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, patient):
        self.session.add(patient)

    def get(self, patient_id):
        return self.session.get(model.Patient, patient_id)

    def list(self, *, limit, after=None, date_of_birth=None):
        P = model.Patient
        query = select(P).order_by(P.family_name, P.given_name, P.patient_id).limit(limit)
        if after is not None:
            query = query.where(tuple_(P.family_name, P.given_name, P.patient_id) > tuple_(*after))
        if date_of_birth is not None:
            query = query.where(P.date_of_birth == date_of_birth)
        return list(self.session.scalars(query))
