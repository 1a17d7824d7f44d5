"""Resolving likely duplicates: merging two registrations, or confirming two people."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import timestamp
from clinic_common.runner import Change

from clinic_intake.domain import coverage, errors
from clinic_intake.domain.duplicates import SuspicionState
from clinic_intake.service_layer.deps import (
    Deps,
    Mutation,
    active_patient,
    keep_revision,
    patient,
)
from clinic_intake.service_layer.patients import RECORD


@dataclass(frozen=True, kw_only=True)
class MergePatients(Mutation):
    surviving_patient_id: str
    merged_patient_id: str


@dataclass(frozen=True, kw_only=True)
class ConfirmDistinct(Mutation):
    patient_id: str
    other_patient_id: str


def merge_patients(cmd: MergePatients, deps: Deps) -> str:
    """Moves everything held under the duplicate to the survivor and retires the duplicate.

    The event is keyed by the merged patient so that it follows every earlier event
    about that registration on the same partition.
    """
    def action(uow, c: Change) -> str:
        now = c.now
        survivor = patient(uow, cmd.surviving_patient_id)
        merged = patient(uow, cmd.merged_patient_id)
        merged.merge_into(survivor, now=now)
        _refuse_conflicts(uow, survivor.patient_id, merged.patient_id)
        uow.patients.move_records(merged.patient_id, survivor.patient_id)
        for suspicion in uow.duplicates.open_for(merged.patient_id):
            suspicion.resolve(SuspicionState.MERGED, c.actor, now)
        keep_revision(uow, RECORD, merged.patient_id, merged.revision, merged.snapshot(),
                      staff_id=c.actor, now=now, reason="merged",
                      changed=["state", "merged_into_patient_id"])
        uow.emit(events_pb2.PatientMerged(
            surviving_patient_id=survivor.patient_id, merged_patient_id=merged.patient_id,
            merge_time=timestamp(now)), key=merged.patient_id)
        return merged.patient_id

    return deps.runner.change("MergePatients", cmd.key, action)


def _refuse_conflicts(uow, survivor_id: str, merged_id: str) -> None:
    """A merge may not leave the survivor with two coverages of one priority in force, or
    two active plans of one modality."""
    clashes = coverage.merge_conflicts(uow.coverages.for_patient(survivor_id),
                                       uow.coverages.for_patient(merged_id))
    if clashes:
        raise errors.Refused("MERGE_COVERAGE_CONFLICT",
                             "both patients hold a coverage of the same priority in force on "
                             "the same days; end one first", coverage_id=clashes[0])
    for plan in uow.plans.for_patient(merged_id):
        if plan.active and uow.plans.active(survivor_id, plan.modality) is not None:
            raise errors.Refused("MERGE_PLAN_CONFLICT", f"both patients have an active "
                                 f"{plan.modality} plan; end one first", plan_id=plan.plan_id)


def confirm_distinct(cmd: ConfirmDistinct, deps: Deps) -> str:
    """Clears the duplicate flags between two patients: staff found them to be two people."""
    def action(uow, c: Change) -> str:
        first = active_patient(uow, cmd.patient_id)
        other = patient(uow, cmd.other_patient_id)
        flags = [s for s in uow.duplicates.open_for(first.patient_id)
                 if s.other_than(first.patient_id) == other.patient_id]
        if not flags:
            raise errors.Refused("NOT_FLAGGED_AS_DUPLICATES",
                                 "these two patients are not flagged as likely duplicates")
        for suspicion in flags:
            suspicion.resolve(SuspicionState.DISTINCT, c.actor, c.now)
        return first.patient_id

    return deps.runner.change("ConfirmDistinctPatients", cmd.key, action)
