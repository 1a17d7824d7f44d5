"""Registering, changing, finding, and de-duplicating patients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import timestamp
from clinic_common.runner import Change

from clinic_intake.domain import duplicates, errors, model
from clinic_intake.domain.duplicates import DuplicateSuspicion
from clinic_intake.service_layer.deps import (
    Deps,
    Mutation,
    active_patient,
    keep_revision,
    patient,
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


@dataclass
class PatientView:
    """A patient with what shows on the record: open duplicate and safety flags."""

    patient: model.Patient
    suspected_duplicates: list[tuple[str, str, dt.datetime]]
    open_safety_flags: list = field(default_factory=list)


def flag_alike(uow, new: model.Patient, now: dt.datetime, *,
               first_time: bool = False) -> list[DuplicateSuspicion]:
    """Flags the active patients who look like ``new``; returns the flags added. A patient
    registered just now (``first_time``) has no flags yet to look up."""
    known = set() if first_time else \
        {s.other_than(new.patient_id) for s in uow.duplicates.open_for(new.patient_id)}
    flagged = []
    for other in uow.patients.alike(new):
        reason = duplicates.likeness(new, other)
        if reason and other.patient_id not in known:
            flagged.append(DuplicateSuspicion.flag(new.patient_id, other.patient_id, reason,
                                                   now))
            uow.duplicates.add(flagged[-1])
    return flagged


def register_patient(cmd: RegisterPatient, deps: Deps) -> PatientView:
    """Registers a patient, flags look-alikes and announces it; returns the patient as the
    transaction left it (a repeated request reads it anew)."""
    registered: list[PatientView] = []

    def action(uow, c: Change) -> str:
        new = model.Patient.register(given_name=cmd.given_name, family_name=cmd.family_name,
                                     date_of_birth=cmd.date_of_birth, now=c.now,
                                     **cmd.details)
        uow.patients.add(new)
        c.concerns(new.patient_id)
        flagged = flag_alike(uow, new, c.now, first_time=True)
        # What the record shows: the look-alikes just flagged, and no safety flag yet.
        registered.append(PatientView(new, [(s.other_patient_id, s.reason, s.flagged_at)
                                            for s in flagged]))
        keep_revision(uow, RECORD, new.patient_id, 1, new.snapshot(), staff_id=c.actor,
                      now=new.created_at, reason="registered")
        uow.emit(events_pb2.PatientRegistered(
            patient_id=new.patient_id, preferred_location_id=new.preferred_location_id,
            registered_time=timestamp(new.created_at)), key=new.patient_id)
        return new.patient_id

    def present(uow, patient_id: str) -> PatientView:
        mine = [v for v in registered if v.patient.patient_id == patient_id]
        return mine[0] if mine else _view(uow, patient_id)

    return deps.runner.change_and_read("CreatePatient", cmd.key, action, present)[1]


def _view(uow, patient_id: str) -> PatientView:
    return _views(uow, [patient(uow, patient_id)])[0]


def update_patient(cmd: UpdatePatient, deps: Deps) -> str:
    """Changes the named fields, keeps the revision and announces which fields changed."""
    def action(uow, c: Change) -> str:
        now = c.now
        current = active_patient(uow, cmd.patient_id)
        changed = current.update(cmd.values, now=now)
        if changed:
            if {"given_name", "family_name", "date_of_birth", "phone"} & set(changed):
                flag_alike(uow, current, now)
            keep_revision(uow, RECORD, current.patient_id, current.revision, current.snapshot(),
                          staff_id=c.actor, now=now, changed=changed)
            uow.emit(events_pb2.PatientUpdated(
                patient_id=current.patient_id,
                preferred_location_id=current.preferred_location_id, changed_fields=changed,
                update_time=timestamp(now)), key=current.patient_id)
        return current.patient_id

    return deps.runner.change("UpdatePatient", cmd.key, action)


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
    return deps.runner.read(lambda uow: _views(uow, [patient(uow, patient_id)])[0])


def list_patients(deps: Deps, *, limit: int, after: list | None, **filters):
    """A page of active patients (with their open flags) and the key to continue after."""
    def query(uow):
        page = uow.patients.list(limit=limit, after=after, **filters)
        return _views(uow, page.items), page.next_key

    return deps.runner.read(query)


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

    return deps.runner.read(query)
