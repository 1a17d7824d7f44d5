"""Where records under a patient are kept: a port per kind and its SQLAlchemy adapter."""

from __future__ import annotations

import abc
import datetime as dt
from typing import Generic, TypeVar

from clinic_common import keyset
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinic_intake.domain.consent import Consent
from clinic_intake.domain.coverage import Coverage
from clinic_intake.domain.history import HistoryEntry
from clinic_intake.domain.vitals import Vitals

T = TypeVar("T")


class PatientRecords(abc.ABC, Generic[T]):
    """Records of one kind, each under one patient."""

    @abc.abstractmethod
    def add(self, record: T) -> None: ...

    @abc.abstractmethod
    def get(self, record_id: str) -> T | None: ...

    @abc.abstractmethod
    def for_patient(self, patient_id: str) -> list[T]:
        """All of a patient's records of this kind, in list order."""

    @abc.abstractmethod
    def page(self, patient_id: str, *, limit: int, after: list | None = None,
             **filters) -> keyset.Page:
        """A page of a patient's records of this kind, in list order."""


class SqlPatientRecords(PatientRecords[T]):
    """The SQL adapter: ``model`` is a mapped class, ``order`` its list order attributes."""

    model: type
    order: tuple[str, ...]

    def __init__(self, session: Session):
        self.session = session

    def add(self, record):
        self.session.add(record)

    def get(self, record_id):
        return self.session.get(self.model, record_id)

    def _query(self, patient_id: str, **filters):
        return select(self.model).where(self.model.patient_id == patient_id)

    def _columns(self) -> list:
        return [getattr(self.model, name) for name in self.order]

    def for_patient(self, patient_id):
        return list(self.session.scalars(self._query(patient_id).order_by(*self._columns())))

    def page(self, patient_id, *, limit, after=None, **filters):
        return keyset.fetch(self.session, self._query(patient_id, **filters), self._columns(),
                            after, limit)


class SqlCoverages(SqlPatientRecords[Coverage]):
    model = Coverage
    order = ("priority", "effective_date", "coverage_id")

    def _query(self, patient_id, *, on: dt.date | None = None):
        query = super()._query(patient_id)
        if on is not None:
            query = query.where(Coverage.effective_date <= on,
                                or_(Coverage.end_date.is_(None), Coverage.end_date >= on))
        return query


class SqlHistory(SqlPatientRecords[HistoryEntry]):
    model = HistoryEntry
    order = ("created_at", "entry_id")

    def _query(self, patient_id, *, kind: str = ""):
        query = super()._query(patient_id)
        return query.where(HistoryEntry.kind == kind) if kind else query


class SqlVitals(SqlPatientRecords[Vitals]):
    model = Vitals
    order = ("measured_at", "vitals_id")

    def latest(self, patient_id: str, measurement: str) -> Vitals | None:
        """The latest vitals of the patient in which ``measurement`` was taken."""
        query = (self._query(patient_id).where(getattr(Vitals, measurement).is_not(None))
                 .order_by(Vitals.measured_at.desc(), Vitals.vitals_id.desc()).limit(1))
        return self.session.scalars(query).first()


class SqlConsents(SqlPatientRecords[Consent]):
    model = Consent
    order = ("signed_at", "consent_id")
