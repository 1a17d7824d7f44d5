"""Registering, changing, finding, and de-duplicating patients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import timestamp

from clinic_intake.domain import coverage, duplicates, errors, model
from clinic_intake.domain.duplicates import DuplicateSuspicion, SuspicionState
from clinic_intake.service_layer.deps import (
    Deps,
    Mutation,
    active_patient,
    keep_revision,
    mutate,
    patient,
    read,
)

RECORD = "patient"


@dataclass(frozen=True, kw_only=True)
class RegisterPatient(Mutation):
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class UpdatePatient(Mutation):
    patient_id: str
    values: dict


@dataclass(frozen=True, kw_only=True)
class MergePatients(Mutation):
    surviving_patient_id: str
    merged_patient_id: str


@dataclass(frozen=True, kw_only=True)
class ConfirmDistinct(Mutation):
    patient_id: str
    other_patient_id: str


@dataclass
class PatientView:
    """A patient with what shows on the record: open duplicate and safety flags."""

    patient: model.Patient
    suspected_duplicates: list[tuple[str, str, dt.datetime]]
    open_safety_flags: list = field(default_factory=list)


def _flag_alike(uow, new: model.Patient) -> None:
    known = {s.other_than(new.patient_id) for s in uow.duplicates.open_for(new.patient_id)}
    for other in uow.patients.alike(new):
        reason = duplicates.likeness(new, other)
        if reason and other.patient_id not in known:
            uow.duplicates.add(DuplicateSuspicion.flag(new.patient_id, other.patient_id, reason))


def register_patient(cmd: RegisterPatient, deps: Deps) -> str:
    """Registers a patient, flags look-alikes and announces it; returns the patient id."""
    def action(uow) -> str:
        new = model.Patient.register(given_name=cmd.given_name, family_name=cmd.family_name,
                                     date_of_birth=cmd.date_of_birth, now=deps.clock(),
                                     **cmd.details)
        uow.patients.add(new)
        _flag_alike(uow, new)
        keep_revision(uow, RECORD, new.patient_id, 1, new.snapshot(), staff_id=cmd.staff_id,
                      now=new.created_at, reason="registered")
        uow.emit(events_pb2.PatientRegistered(
            patient_id=new.patient_id, preferred_location_id=new.preferred_location_id,
            registered_time=timestamp(new.created_at)), key=new.patient_id)
        return new.patient_id

    return mutate(deps, "CreatePatient", cmd, action)


def update_patient(cmd: UpdatePatient, deps: Deps) -> str:
    """Changes the named fields, keeps the revision and announces which fields changed."""
    def action(uow) -> str:
        now = deps.clock()
        current = active_patient(uow, cmd.patient_id)
        changed = current.update(cmd.values, now=now)
        if changed:
            if {"given_name", "family_name", "date_of_birth", "phone"} & set(changed):
                _flag_alike(uow, current)
            keep_revision(uow, RECORD, current.patient_id, current.revision, current.snapshot(),
                          staff_id=cmd.staff_id, now=now, changed=changed)
            uow.emit(events_pb2.PatientUpdated(
                patient_id=current.patient_id,
                preferred_location_id=current.preferred_location_id, changed_fields=changed,
                update_time=timestamp(now)), key=current.patient_id)
        return current.patient_id

    return mutate(deps, "UpdatePatient", cmd, action)


def merge_patients(cmd: MergePatients, deps: Deps) -> str:
    """Moves everything held under the duplicate to the survivor and retires the duplicate.

    The event is keyed by the merged patient so that it follows every earlier event
    about that registration on the same partition.
    """
    def action(uow) -> str:
        now = deps.clock()
        survivor = patient(uow, cmd.surviving_patient_id)
        merged = patient(uow, cmd.merged_patient_id)
        merged.merge_into(survivor, now=now)
        _refuse_conflicts(uow, survivor.patient_id, merged.patient_id)
        uow.patients.move_records(merged.patient_id, survivor.patient_id)
        for suspicion in uow.duplicates.open_for(merged.patient_id):
            suspicion.resolve(SuspicionState.MERGED, cmd.staff_id, now)
        keep_revision(uow, RECORD, merged.patient_id, merged.revision, merged.snapshot(),
                      staff_id=cmd.staff_id, now=now, reason="merged",
                      changed=["state", "merged_into_patient_id"])
        uow.emit(events_pb2.PatientMerged(
            surviving_patient_id=survivor.patient_id, merged_patient_id=merged.patient_id,
            merge_time=timestamp(now)), key=merged.patient_id)
        return merged.patient_id

    return mutate(deps, "MergePatients", cmd, action)


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
    def action(uow) -> str:
        first = active_patient(uow, cmd.patient_id)
        other = patient(uow, cmd.other_patient_id)
        flags = [s for s in uow.duplicates.open_for(first.patient_id)
                 if s.other_than(first.patient_id) == other.patient_id]
        if not flags:
            raise errors.Refused("NOT_FLAGGED_AS_DUPLICATES",
                                 "these two patients are not flagged as likely duplicates")
        for suspicion in flags:
            suspicion.resolve(SuspicionState.DISTINCT, cmd.staff_id, deps.clock())
        return first.patient_id

    return mutate(deps, "ConfirmDistinctPatients", cmd, action)


def _views(uow, found: list[model.Patient]) -> list[PatientView]:
    ids = [p.patient_id for p in found]
    duplicate_flags = uow.duplicates.open_for_many(ids)
    safety_flags = uow.safety_flags.open_for_many(ids)
    views = []
    for p in found:
        mine = [s for s in duplicate_flags if p.patient_id in (s.patient_id, s.other_patient_id)]
        views.append(PatientView(
            p, [(s.other_than(p.patient_id), s.reason, s.flagged_at) for s in mine],
            [f for f in safety_flags if f.patient_id == p.patient_id]))
    return views


def get_patient(patient_id: str, deps: Deps) -> PatientView:
    return read(deps, lambda uow: _views(uow, [patient(uow, patient_id)])[0])


def list_patients(deps: Deps, *, limit: int, after: list | None, **filters):
    """A page of active patients (with their open flags) and the key to continue after."""
    def query(uow):
        page = uow.patients.list(limit=limit, after=after, **filters)
        return _views(uow, page.items), page.next_key

    return read(deps, query)


# How to find the current record of each revised type, to check it is the patient's.
OWNED_RECORDS = {
    "coverage": lambda uow, record_id: uow.coverages.get(record_id),
    "history_entry": lambda uow, record_id: uow.history.get(record_id),
    "consent": lambda uow, record_id: uow.consents.get(record_id),
}


def list_revisions(record_type: str, patient_id: str, record_id: str, deps: Deps, *,
                   limit: int, after: list | None):
    """A page of a record's revisions, after checking the record is under the patient."""
    def query(uow):
        patient(uow, patient_id)
        if record_type != RECORD:
            record = OWNED_RECORDS[record_type](uow, record_id)
            if record is None or record.patient_id != patient_id:
                raise errors.RecordNotFound(record_type.replace("_", " "), record_id)
        return uow.revisions.list(record_type, record_id, limit=limit, after=after)

    return read(deps, query)
