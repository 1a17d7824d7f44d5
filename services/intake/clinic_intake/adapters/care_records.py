"""Where the clinical work on a patient is kept: screenings, safety flags, candidacy
decisions, treatment plans and their versions."""

from __future__ import annotations

from clinic_common import keyset
from sqlalchemy import select

from clinic_intake.adapters.records import SqlPatientRecords
from clinic_intake.domain.candidacy import CandidacyDecision
from clinic_intake.domain.plans import PlanState, PlanVersion, TreatmentPlan
from clinic_intake.domain.screening import SafetyFlag, Screening


class SqlScreenings(SqlPatientRecords[Screening]):
    model = Screening
    order = ("administered_at", "screening_id")

    def _query(self, patient_id, *, instrument: str = ""):
        query = super()._query(patient_id)
        return query.where(Screening.instrument == instrument) if instrument else query

    def of_instrument(self, patient_id: str, instrument: str) -> list[Screening]:
        return list(self.session.scalars(self._query(patient_id, instrument=instrument)
                                         .order_by(*self._columns())))


class SqlSafetyFlags(SqlPatientRecords[SafetyFlag]):
    model = SafetyFlag
    order = ("raised_at", "flag_id")

    def _query(self, patient_id, *, open_only: bool = False):
        query = super()._query(patient_id)
        return query.where(SafetyFlag.acknowledged_at.is_(None)) if open_only else query

    def open_for_many(self, patient_ids: list[str]) -> list[SafetyFlag]:
        """Unacknowledged flags of any of the patients, oldest first."""
        if not patient_ids:
            return []
        query = select(SafetyFlag).where(SafetyFlag.patient_id.in_(patient_ids),
                                         SafetyFlag.acknowledged_at.is_(None))
        return list(self.session.scalars(query.order_by(*self._columns())))


class SqlDecisions(SqlPatientRecords[CandidacyDecision]):
    model = CandidacyDecision
    order = ("decided_at", "decision_id")

    def _query(self, patient_id, *, modality: str = ""):
        query = super()._query(patient_id)
        return query.where(CandidacyDecision.modality == modality) if modality else query

    def latest(self, patient_id: str, modality: str) -> CandidacyDecision | None:
        """The decision in force for the modality: the latest one."""
        query = self._query(patient_id, modality=modality).order_by(
            CandidacyDecision.decided_at.desc(), CandidacyDecision.decision_id.desc())
        return self.session.scalars(query.limit(1)).first()


class SqlPlans(SqlPatientRecords[TreatmentPlan]):
    model = TreatmentPlan
    order = ("created_at", "plan_id")

    def active(self, patient_id: str, modality: str) -> TreatmentPlan | None:
        query = self._query(patient_id).where(TreatmentPlan.modality == modality,
                                              TreatmentPlan.state == PlanState.ACTIVE)
        return self.session.scalars(query).first()

    def add_version(self, version: PlanVersion) -> None:
        self.session.add(version)

    def version(self, plan_id: str, version: int) -> PlanVersion | None:
        return self.session.get(PlanVersion, (plan_id, version))

    def versions(self, plan_id: str, *, limit: int, after: list | None = None) -> keyset.Page:
        query = select(PlanVersion).where(PlanVersion.plan_id == plan_id)
        return keyset.fetch(self.session, query, [PlanVersion.version], after, limit)
