"""What every use case may need, and the shape every change follows.

A change runs through the shared runner: checks, effects, revision rows, outbox
events and the call's audit rows commit together or not at all. A client
``request_id`` makes a retry return the first result (AIP-155); a lost race on a
row becomes ABORTED. Actions get the time and the acting staff member from the
runner's :class:`~clinic_common.runner.Change`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_common.runner import NO_KEY, RequestKey, Runner

from clinic_intake.domain import errors, model, revisions
from clinic_intake.domain.contraindications import RuleSet
from clinic_intake.domain.instrument_definitions import InstrumentRegistry
from clinic_intake.domain.policy import Policy
from clinic_intake.domain.protocols import ProtocolSet
from clinic_intake.service_layer.unit_of_work import IntakeUnitOfWork


@dataclass
class Deps:
    """The runner (units of work and clock), the clinic's policies, instruments, rules and
    dosing protocols."""

    runner: Runner[IntakeUnitOfWork]
    policy: Policy = field(default_factory=Policy)
    instruments: InstrumentRegistry = field(default_factory=lambda: InstrumentRegistry([]))
    rules: RuleSet = field(default_factory=lambda: RuleSet(()))
    protocols: ProtocolSet = field(default_factory=lambda: ProtocolSet(()))


@dataclass(frozen=True, kw_only=True)
class Mutation:
    """What every change carries besides its own fields: the client's retry key."""

    key: RequestKey = NO_KEY


def patient(uow: IntakeUnitOfWork, patient_id: str) -> model.Patient:
    found = uow.patients.get(patient_id)
    if found is None:
        raise errors.PatientNotFound(patient_id)
    return found


def active_patient(uow: IntakeUnitOfWork, patient_id: str) -> model.Patient:
    """The patient, refusing a merged record: changes go to the surviving one."""
    found = patient(uow, patient_id)
    found.ensure_active()
    return found


def keep_revision(uow: IntakeUnitOfWork, record_type: str, record_id: str, revision: int,
                  snapshot: dict, *, staff_id: str, now: dt.datetime, reason: str = "",
                  changed: list[str] | None = None) -> None:
    """Store the record as it is now, as its revision ``revision``."""
    uow.revisions.add(revisions.Revision(
        record_type=record_type, record_id=record_id, revision=revision, snapshot=snapshot,
        changed_fields=changed or [], changed_by=staff_id, reason=reason, changed_at=now))
