"""Where patients, their duplicate flags and record revisions are kept: ports and adapters."""

from __future__ import annotations

import abc
import datetime as dt

from clinic_common import keyset
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from clinic_intake.adapters.tables import metadata
from clinic_intake.domain import duplicates, model, revisions
from clinic_intake.domain.duplicates import SuspicionState


class PatientRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, patient: model.Patient) -> None: ...

    @abc.abstractmethod
    def get(self, patient_id: str) -> model.Patient | None: ...

    @abc.abstractmethod
    def list(self, *, limit: int, after: list | None = None,
             date_of_birth: dt.date | None = None, name_prefix: str = "",
             phone: str = "") -> keyset.Page:
        """Active patients ordered by (family_name, given_name, patient_id), after a key."""

    @abc.abstractmethod
    def alike(self, patient: model.Patient) -> list[model.Patient]:
        """Active patients with the same name and birth date, or the same phone."""

    @abc.abstractmethod
    def move_records(self, from_patient_id: str, to_patient_id: str) -> None:
        """Re-home everything held under one patient to another (a merge)."""


KEEP_ON_MERGE = frozenset({"patients", "patient_duplicates", "audit_log"})


def _like_prefix(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class SqlPatientRepository(PatientRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, patient):
        self.session.add(patient)

    def get(self, patient_id):
        return self.session.get(model.Patient, patient_id)

    def list(self, *, limit, after=None, date_of_birth=None, name_prefix="", phone=""):
        P = model.Patient
        query = select(P).where(P.state == model.PatientState.ACTIVE)
        if date_of_birth is not None:
            query = query.where(P.date_of_birth == date_of_birth)
        if phone:
            query = query.where(P.phone == phone)
        if name_prefix:
            pattern = _like_prefix(name_prefix)
            query = query.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in
                                      (P.family_name, P.given_name, P.preferred_name))))
        return keyset.fetch(self.session, query, [P.family_name, P.given_name, P.patient_id],
                            after, limit)

    def alike(self, patient):
        P = model.Patient
        same_name = (func.lower(P.family_name) == patient.family_name.lower()) & \
            (func.lower(P.given_name) == patient.given_name.lower()) & \
            (P.date_of_birth == patient.date_of_birth)
        condition = or_(same_name, P.phone == patient.phone) if patient.phone else same_name
        query = select(P).where(condition, P.state == model.PatientState.ACTIVE,
                                P.patient_id != patient.patient_id).order_by(P.patient_id)
        return list(self.session.scalars(query))

    def move_records(self, from_patient_id, to_patient_id):
        # The audit trail keeps the id the access was made under: it is append-only.
        for table in metadata.sorted_tables:
            if "patient_id" in table.c and table.name not in KEEP_ON_MERGE:
                self.session.execute(update(table).where(table.c.patient_id == from_patient_id)
                                     .values(patient_id=to_patient_id))


class DuplicateRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, suspicion: duplicates.DuplicateSuspicion) -> None: ...

    @abc.abstractmethod
    def open_for(self, patient_id: str) -> list[duplicates.DuplicateSuspicion]:
        """Unresolved flags that involve the patient, oldest first."""

    @abc.abstractmethod
    def open_for_many(self, patient_ids: list[str]) -> list[duplicates.DuplicateSuspicion]:
        """Unresolved flags that involve any of the patients, oldest first."""


class SqlDuplicateRepository(DuplicateRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, suspicion):
        self.session.add(suspicion)

    def open_for(self, patient_id):
        return self.open_for_many([patient_id])

    def open_for_many(self, patient_ids):
        if not patient_ids:
            return []
        D = duplicates.DuplicateSuspicion
        query = select(D).where(or_(D.patient_id.in_(patient_ids),
                                    D.other_patient_id.in_(patient_ids)),
                                D.state == SuspicionState.OPEN).order_by(D.flagged_at)
        return list(self.session.scalars(query))


class RevisionRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, revision: revisions.Revision) -> None: ...

    @abc.abstractmethod
    def list(self, record_type: str, record_id: str, *, limit: int,
             after: list | None = None) -> keyset.Page:
        """A record's revisions, oldest first."""


class SqlRevisionRepository(RevisionRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, revision):
        self.session.add(revision)

    def list(self, record_type, record_id, *, limit, after=None):
        R = revisions.Revision
        query = select(R).where(R.record_type == record_type, R.record_id == record_id)
        return keyset.fetch(self.session, query, [R.revision], after, limit)
