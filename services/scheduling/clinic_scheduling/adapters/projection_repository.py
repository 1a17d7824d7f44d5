"""Where scheduling keeps its projection of intake: known patients, clearances, plans."""

from __future__ import annotations

import abc

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clinic_scheduling.domain.projections import (
    PLAN_ACTIVE,
    SUICIDALITY,
    Clearance,
    KnownPatient,
    SafetyFlag,
    TreatmentPlan,
)


class ProjectionRepository(abc.ABC):
    @abc.abstractmethod
    def patient(self, patient_id: str) -> KnownPatient | None: ...

    @abc.abstractmethod
    def add(self, item: KnownPatient | Clearance | TreatmentPlan | SafetyFlag) -> None: ...

    @abc.abstractmethod
    def merged_into(self, patient_id: str) -> list[KnownPatient]:
        """Patients whose record points at this one."""

    @abc.abstractmethod
    def clearance(self, decision_id: str) -> Clearance | None: ...

    @abc.abstractmethod
    def latest_clearance(self, patient_id: str, modality: str) -> Clearance | None: ...

    @abc.abstractmethod
    def plan(self, plan_id: str) -> TreatmentPlan | None: ...

    @abc.abstractmethod
    def active_plan(self, patient_id: str, modality: str) -> TreatmentPlan | None: ...

    @abc.abstractmethod
    def repoint(self, from_patient_id: str, to_patient_id: str) -> None:
        """Move clearances and plans of a merged-away patient to the survivor."""

    @abc.abstractmethod
    def safety_flag(self, flag_id: str) -> SafetyFlag | None: ...

    @abc.abstractmethod
    def open_treatment_block(self, patient_id: str) -> SafetyFlag | None:
        """The oldest unacknowledged suicidality flag of the patient, if any."""


class SqlProjectionRepository(ProjectionRepository):
    def __init__(self, session: Session):
        self.session = session

    def patient(self, patient_id):
        return self.session.get(KnownPatient, patient_id)

    def add(self, item):
        self.session.add(item)

    def merged_into(self, patient_id):
        query = select(KnownPatient).where(KnownPatient.merged_into == patient_id)
        return list(self.session.scalars(query))

    def clearance(self, decision_id):
        return self.session.get(Clearance, decision_id)

    def latest_clearance(self, patient_id, modality):
        C = Clearance
        query = (select(C).where(C.patient_id == patient_id, C.modality == modality)
                 .order_by(C.decided_at.desc(), C.decision_id.desc()).limit(1))
        return self.session.scalars(query).first()

    def plan(self, plan_id):
        return self.session.get(TreatmentPlan, plan_id)

    def active_plan(self, patient_id, modality):
        P = TreatmentPlan
        query = (select(P).where(P.patient_id == patient_id, P.modality == modality,
                                 P.status == PLAN_ACTIVE)
                 .order_by(P.created_at.desc(), P.plan_id.desc()).limit(1))
        return self.session.scalars(query).first()

    def repoint(self, from_patient_id, to_patient_id):
        self.session.flush()
        for table in (Clearance, TreatmentPlan, SafetyFlag):
            self.session.execute(update(table).where(table.patient_id == from_patient_id)
                                 .values(patient_id=to_patient_id)
                                 .execution_options(synchronize_session="fetch"))

    def safety_flag(self, flag_id):
        return self.session.get(SafetyFlag, flag_id)

    def open_treatment_block(self, patient_id):
        F = SafetyFlag
        query = (select(F).where(F.patient_id == patient_id, F.kind == SUICIDALITY,
                                 F.acknowledged_at.is_(None))
                 .order_by(F.raised_at, F.flag_id).limit(1))
        return self.session.scalars(query).first()
