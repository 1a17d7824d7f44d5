"""Recording and ending insurance coverages; which are in force on a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import fill_date
from clinic_common.runner import Change

from clinic_intake.domain import errors
from clinic_intake.domain.coverage import Coverage
from clinic_intake.service_layer.deps import (
    Deps,
    Mutation,
    active_patient,
    keep_revision,
    patient,
)

RECORD = "coverage"


@dataclass(frozen=True, kw_only=True)
class AddCoverage(Mutation):
    patient_id: str
    details: dict


@dataclass(frozen=True, kw_only=True)
class EndCoverage(Mutation):
    patient_id: str
    coverage_id: str
    end_date: dt.date


def _added(c: Coverage) -> events_pb2.CoverageAdded:
    event = events_pb2.CoverageAdded(
        patient_id=c.patient_id, coverage_id=c.coverage_id, payer_id=c.payer_id,
        member_id=c.member_id, group_number=c.group_number, priority=c.priority,
        subscriber_relationship=c.subscriber_relationship.lower(), plan_type=c.plan_type)
    fill_date(event.effective_date, c.effective_date)
    fill_date(event.end_date, c.end_date)
    return event


def add_coverage(cmd: AddCoverage, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        coverage = Coverage.record(cmd.patient_id, cmd.details,
                                   uow.coverages.for_patient(cmd.patient_id), now)
        uow.coverages.add(coverage)
        keep_revision(uow, RECORD, coverage.coverage_id, 1, coverage.snapshot(),
                      staff_id=c.actor, now=now, reason="recorded")
        uow.emit(_added(coverage), key=coverage.patient_id)
        return coverage.coverage_id

    return deps.runner.change("CreateCoverage", cmd.key, action)


def coverage_of(uow, patient_id: str, coverage_id: str) -> Coverage:
    found = uow.coverages.get(coverage_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("coverage", coverage_id)
    return found


def end_coverage(cmd: EndCoverage, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        coverage = coverage_of(uow, cmd.patient_id, cmd.coverage_id)
        coverage.end(cmd.end_date, now)
        keep_revision(uow, RECORD, coverage.coverage_id, coverage.revision, coverage.snapshot(),
                      staff_id=c.actor, now=now, reason="ended",
                      changed=["end_date", "ended"])
        event = events_pb2.CoverageEnded(patient_id=coverage.patient_id,
                                         coverage_id=coverage.coverage_id)
        fill_date(event.end_date, coverage.end_date)
        uow.emit(event, key=coverage.patient_id)
        return coverage.coverage_id

    return deps.runner.change("EndCoverage", cmd.key, action)


def get_coverage(patient_id: str, coverage_id: str, deps: Deps) -> Coverage:
    return deps.runner.read(lambda uow: coverage_of(uow, patient_id, coverage_id))


def list_coverages(patient_id: str, deps: Deps, *, limit: int, after: list | None,
                   on: dt.date | None = None):
    """A page of the patient's coverages, only those in force on ``on`` when given."""
    def query(uow):
        patient(uow, patient_id)
        return uow.coverages.page(patient_id, limit=limit, after=after, on=on)

    return deps.runner.read(query)
