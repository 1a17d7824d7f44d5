"""Scoring screenings, raising and acknowledging safety flags, scores over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import timestamp
from clinic_common.runner import Change

from clinic_intake.domain import errors
from clinic_intake.domain.screening import Course, SafetyFlag, Screening, Trend, trend
from clinic_intake.service_layer.deps import Deps, Mutation, active_patient, patient


@dataclass(frozen=True, kw_only=True)
class SubmitScreening(Mutation):
    patient_id: str
    instrument: str
    answers: list[tuple[int, int]]
    administered_at: dt.datetime | None
    appointment_id: str = ""


@dataclass(frozen=True, kw_only=True)
class AcknowledgeFlag(Mutation):
    patient_id: str
    flag_id: str
    note: str = ""


def _scored(s: Screening) -> events_pb2.ScreeningScored:
    return events_pb2.ScreeningScored(
        patient_id=s.patient_id, screening_id=s.screening_id, instrument=s.instrument,
        total_score=s.total_score, severity=s.severity, appointment_id=s.appointment_id,
        administered_time=timestamp(s.administered_at))


def _raised(f: SafetyFlag) -> events_pb2.SafetyFlagRaised:
    return events_pb2.SafetyFlagRaised(patient_id=f.patient_id, flag_id=f.flag_id, kind=f.kind,
                                       screening_id=f.screening_id,
                                       raise_time=timestamp(f.raised_at))


def submit_screening(cmd: SubmitScreening, deps: Deps) -> str:
    """Scores the answers; the score and any flag are announced, never the answers."""
    instrument = deps.instruments.get(cmd.instrument)

    def action(uow, c: Change) -> str:
        active_patient(uow, cmd.patient_id)
        screening, flags = Screening.score(
            cmd.patient_id, instrument, cmd.answers, cmd.administered_at, cmd.appointment_id,
            c.actor, c.now)
        uow.screenings.add(screening)
        uow.emit(_scored(screening), key=cmd.patient_id)
        for flag in flags:
            uow.safety_flags.add(flag)
            uow.emit(_raised(flag), key=cmd.patient_id)
        return screening.screening_id

    return deps.runner.change("CreateScreening", cmd.key, action)


def flag_of(uow, patient_id: str, flag_id: str) -> SafetyFlag:
    found = uow.safety_flags.get(flag_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("safety flag", flag_id)
    return found


def acknowledge_flag(cmd: AcknowledgeFlag, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        patient(uow, cmd.patient_id)
        flag = flag_of(uow, cmd.patient_id, cmd.flag_id)
        flag.acknowledge(c.actor, cmd.note, now)
        uow.emit(events_pb2.SafetyFlagAcknowledged(
            patient_id=flag.patient_id, flag_id=flag.flag_id, acknowledged_by=c.actor,
            acknowledge_time=timestamp(now)), key=flag.patient_id)
        return flag.flag_id

    return deps.runner.change("AcknowledgeSafetyFlag", cmd.key, action)


def get_screening(patient_id: str, screening_id: str, deps: Deps) -> tuple[Screening, list]:
    """A screening and the flags it raised."""
    def query(uow):
        found = uow.screenings.get(screening_id)
        if found is None or found.patient_id != patient_id:
            raise errors.RecordNotFound("screening", screening_id)
        flags = [f for f in uow.safety_flags.for_patient(patient_id)
                 if f.screening_id == screening_id]
        return found, flags

    return deps.runner.read(query)


def list_screenings(patient_id: str, deps: Deps, *, limit: int, after: list | None,
                    instrument: str = ""):
    """A page of (screening, the flags it raised) of the patient."""
    def query(uow):
        patient(uow, patient_id)
        page = uow.screenings.page(patient_id, limit=limit, after=after, instrument=instrument)
        flags = uow.safety_flags.for_patient(patient_id)
        page.items = [(s, [f for f in flags if f.screening_id == s.screening_id])
                      for s in page.items]
        return page

    return deps.runner.read(query)


def get_flag(patient_id: str, flag_id: str, deps: Deps) -> SafetyFlag:
    return deps.runner.read(lambda uow: flag_of(uow, patient_id, flag_id))


def list_records(records: str, patient_id: str, deps: Deps, *, limit: int, after: list | None,
                 **filters):
    """A page of the patient's safety flags (or other records without extras)."""
    def query(uow):
        patient(uow, patient_id)
        return getattr(uow, records).page(patient_id, limit=limit, after=after, **filters)

    return deps.runner.read(query)


def score_trend(patient_id: str, instrument_code: str, deps: Deps) -> Trend:
    """The trend measured from the baseline of the patient's current course of treatment."""
    instrument = deps.instruments.get(instrument_code, "instrument")

    def query(uow):
        patient(uow, patient_id)
        courses = [Course(p.plan_id, p.created_at, p.active)
                   for p in uow.plans.for_patient(patient_id)]
        return trend(instrument, uow.screenings.of_instrument(patient_id, instrument.code),
                     deps.policy.response_drop_percent, courses)

    return deps.runner.read(query)
