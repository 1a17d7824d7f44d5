"""Recording and amending medical history; vital signs; the clinical summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.runner import Change

from clinic_intake.domain import errors
from clinic_intake.domain.history import (
    Detail,
    HistoryEntry,
    adequate_failed_antidepressant_trials,
    failed_antidepressant_trials,
)
from clinic_intake.domain.vitals import Vitals
from clinic_intake.service_layer.deps import (
    Deps,
    Mutation,
    active_patient,
    keep_revision,
    patient,
)

RECORD = "history_entry"


@dataclass(frozen=True, kw_only=True)
class RecordEntry(Mutation):
    patient_id: str
    detail: Detail


@dataclass(frozen=True, kw_only=True)
class AmendEntry(Mutation):
    patient_id: str
    entry_id: str
    detail: Detail
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordVitals(Mutation):
    patient_id: str
    measured_at: dt.datetime | None
    values: dict
    location_id: str


@dataclass
class ClinicalSummary:
    failed_antidepressant_trials: int
    treatment_resistant: bool
    latest_weight: Vitals | None
    latest_blood_pressure: Vitals | None
    adequate_failed_antidepressant_trials: int = 0


def record_entry(cmd: RecordEntry, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        entry = HistoryEntry.record(cmd.patient_id, cmd.detail, c.actor, now)
        uow.history.add(entry)
        keep_revision(uow, RECORD, entry.entry_id, 1, entry.snapshot(), staff_id=c.actor,
                      now=now, reason="recorded")
        return entry.entry_id

    return deps.runner.change("CreateHistoryEntry", cmd.key, action)


def entry_of(uow, patient_id: str, entry_id: str) -> HistoryEntry:
    found = uow.history.get(entry_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("history entry", entry_id)
    return found


def amend_entry(cmd: AmendEntry, deps: Deps) -> str:
    if not cmd.reason.strip():
        raise errors.field("reason", "is required: say why the entry is amended")

    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        entry = entry_of(uow, cmd.patient_id, cmd.entry_id)
        changed = entry.amend(cmd.detail, c.actor, now)
        if changed:
            keep_revision(uow, RECORD, entry.entry_id, entry.revision, entry.snapshot(),
                          staff_id=c.actor, now=now, reason=cmd.reason.strip(),
                          changed=changed)
        return entry.entry_id

    return deps.runner.change("AmendHistoryEntry", cmd.key, action)


def record_vitals(cmd: RecordVitals, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        active_patient(uow, cmd.patient_id)
        vitals = Vitals.record(cmd.patient_id, cmd.measured_at, cmd.values, c.actor,
                               c.now, location_id=cmd.location_id)
        uow.vitals.add(vitals)
        return vitals.vitals_id

    return deps.runner.change("RecordVitals", cmd.key, action)


def get_entry(patient_id: str, entry_id: str, deps: Deps) -> HistoryEntry:
    return deps.runner.read(lambda uow: entry_of(uow, patient_id, entry_id))


def get_vitals(patient_id: str, vitals_id: str, deps: Deps) -> Vitals:
    def query(uow):
        found = uow.vitals.get(vitals_id)
        if found is None or found.patient_id != patient_id:
            raise errors.RecordNotFound("vitals", vitals_id)
        return found

    return deps.runner.read(query)


def list_records(records: str, patient_id: str, deps: Deps, *, limit: int, after: list | None,
                 **filters):
    """A page of the patient's records of one kind ("history" or "vitals")."""
    def query(uow):
        patient(uow, patient_id)
        return getattr(uow, records).page(patient_id, limit=limit, after=after, **filters)

    return deps.runner.read(query)


def clinical_summary(patient_id: str, deps: Deps) -> ClinicalSummary:
    def query(uow):
        patient(uow, patient_id)
        entries = uow.history.for_patient(patient_id)
        adequate = adequate_failed_antidepressant_trials(
            entries, deps.policy.adequate_trial_min_weeks)
        return ClinicalSummary(
            failed_antidepressant_trials(entries),
            adequate >= deps.policy.treatment_resistance_min_failed_trials,
            uow.vitals.latest(patient_id, "weight_grams"),
            uow.vitals.latest(patient_id, "systolic_mmhg"),
            adequate_failed_antidepressant_trials=adequate)

    return deps.runner.read(query)
