"""What every use case may need, and the shape every change follows.

A change runs in one unit of work: checks, effects, revision rows and outbox
events commit together or not at all. A client ``request_id`` makes a retry
return the first result (AIP-155); a lost race on a row becomes ABORTED.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from clinic_common.errors import Aborted
from clinic_common.unit_of_work import run_once
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from clinic_intake.domain import errors, model, revisions
from clinic_intake.domain.common import utcnow
from clinic_intake.domain.contraindications import RuleSet
from clinic_intake.domain.instrument_definitions import InstrumentRegistry
from clinic_intake.domain.policy import Policy
from clinic_intake.service_layer.unit_of_work import IntakeUnitOfWork


@dataclass
class Deps:
    """The unit of work factory, the clinic's policies, the instrument and rule data, a clock."""

    uow: Callable[[], IntakeUnitOfWork]
    policy: Policy = field(default_factory=Policy)
    instruments: InstrumentRegistry = field(default_factory=lambda: InstrumentRegistry([]))
    rules: RuleSet = field(default_factory=lambda: RuleSet(()))
    clock: Callable[[], dt.datetime] = field(default=utcnow)


@dataclass(frozen=True, kw_only=True)
class Mutation:
    """What every change carries besides its own fields: who, and the retry key."""

    staff_id: str = ""
    request_id: str = ""
    fingerprint: str = ""


def mutate(deps: Deps, method: str, cmd: Mutation,
           action: Callable[[IntakeUnitOfWork], str]) -> str:
    """Run ``action`` once in a transaction; returns the id of what it changed."""
    uow = deps.uow()
    try:
        with uow:
            return run_once(uow, method, cmd.request_id, cmd.fingerprint, lambda: action(uow))
    except (IntegrityError, StaleDataError):
        raise Aborted("the record changed while this request ran; read it again and retry",
                      reason="CONCURRENT_CHANGE") from None


def read(deps: Deps, query: Callable[[IntakeUnitOfWork], object]):
    with deps.uow() as uow:
        return query(uow)


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
