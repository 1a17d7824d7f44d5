"""Keeps scheduling's projection of intake current. Runs inside the consumer's unit of work
(which records the event in the inbox and commits); every effect is an upsert, so a
replayed event changes nothing."""

from __future__ import annotations

import datetime as dt

from clinic_common.errors import InvalidArgument

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import HOLDING, Appointment
from clinic_scheduling.domain.policy import SchedulingPolicy, overlaps
from clinic_scheduling.domain.projections import (
    Clearance,
    KnownPatient,
    PlanTerms,
    SafetyFlag,
    TreatmentPlan,
)
from clinic_scheduling.service_layer import announcements, waitlist_offers
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


def patient_registered(uow: SchedulingUnitOfWork, patient_id: str, preferred_location_id: str,
                       registered_at: dt.datetime | None) -> None:
    patient = _ensure_patient(uow, patient_id)
    patient.preferred_location_id = preferred_location_id
    patient.registered_at = patient.registered_at or registered_at


def preferred_location_changed(uow: SchedulingUnitOfWork, patient_id: str,
                               preferred_location_id: str) -> None:
    _ensure_patient(uow, patient_id).preferred_location_id = preferred_location_id


def patient_merged(uow: SchedulingUnitOfWork, surviving_id: str, merged_id: str,
                   at: dt.datetime, now: dt.datetime | None = None,
                   policy: SchedulingPolicy | None = None) -> None:
    """Point the merged-away record, and all it held, at the survivor: clearances, plans,
    appointments, waitlist entries (they keep their place in line), active holds and series
    preferences. A future slot the merge releases is offered to the waitlist at ``now`` (the
    consumer's clock), under ``policy``."""
    if not surviving_id or not merged_id or surviving_id == merged_id:
        raise InvalidArgument("a merge needs two different patient ids", reason="MALFORMED_MERGE")
    survivor = _ensure_patient(uow, _survivor_of(uow, surviving_id)).patient_id
    _ensure_patient(uow, merged_id).merged_into = survivor
    for earlier in uow.projections.merged_into(merged_id):
        earlier.merged_into = survivor
    uow.projections.repoint(merged_id, survivor)
    uow.waitlist.repoint(merged_id, survivor)
    uow.holds.repoint(merged_id, survivor)
    uow.series.repoint(merged_id, survivor)
    released = _move_appointments(uow, merged_id, survivor, at)
    for appointment in released:
        waitlist_offers.offer_freed(uow, waitlist_offers.freed_by_cancel(appointment),
                                    now or at, policy or SchedulingPolicy())


def _move_appointments(uow: SchedulingUnitOfWork, merged_id: str, survivor_id: str,
                       at: dt.datetime) -> list[Appointment]:
    """A slot both records hold for the same time is released on the merged one; returns
    the appointments so released (cancelled or entered in error)."""
    held = [a for a in uow.appointments.of_patient(survivor_id) if a.status in HOLDING]
    released = []
    for appointment in uow.appointments.of_patient(merged_id):
        appointment.patient_id = survivor_id
        doubled = appointment.status in HOLDING and any(
            overlaps(appointment.start_time, appointment.end_time, other.start_time,
                     other.end_time) for other in held)
        if doubled:
            released.append(appointment)
            if appointment.withdraw_duplicate(at):
                uow.emit(announcements.cancelled(appointment, at), key=survivor_id)
    uow.appointments.flush()
    return released


def candidacy_decided(uow: SchedulingUnitOfWork, clearance: Clearance) -> None:
    if uow.projections.clearance(clearance.decision_id) is not None:
        return
    clearance.patient_id = _survivor_of(uow, clearance.patient_id)
    uow.projections.add(clearance)


def plan_created(uow: SchedulingUnitOfWork, plan: TreatmentPlan) -> None:
    existing = uow.projections.plan(plan.plan_id)
    if existing is not None:
        return
    plan.patient_id = _survivor_of(uow, plan.patient_id)
    uow.projections.add(plan)


def plan_amended(uow: SchedulingUnitOfWork, plan_id: str, terms: PlanTerms) -> None:
    _plan(uow, plan_id).amend(terms)


def plan_ended(uow: SchedulingUnitOfWork, plan_id: str, reason: str, at: dt.datetime) -> None:
    _plan(uow, plan_id).end(reason, at)


def plan_suspended(uow: SchedulingUnitOfWork, plan_id: str, reason: str,
                   at: dt.datetime) -> None:
    """A suspended plan is no active plan: treatments of its modality are not booked."""
    _plan(uow, plan_id).suspend(reason, at)


def _plan(uow: SchedulingUnitOfWork, plan_id: str) -> TreatmentPlan:
    plan = uow.projections.plan(plan_id)
    if plan is None:  # intake announces a plan before changing it: a broken contract
        raise errors.PlanUnknown(plan_id)
    return plan


def _ensure_patient(uow: SchedulingUnitOfWork, patient_id: str) -> KnownPatient:
    patient = uow.projections.patient(patient_id)
    if patient is None:
        patient = KnownPatient(patient_id=patient_id)
        uow.projections.add(patient)
    return patient


def _survivor_of(uow: SchedulingUnitOfWork, patient_id: str) -> str:
    """Follow merges to the record that remains."""
    current, seen = patient_id, {patient_id}
    patient = uow.projections.patient(current)
    while patient is not None and patient.merged_into and patient.merged_into not in seen:
        current = patient.merged_into
        seen.add(current)
        patient = uow.projections.patient(current)
    return current


def safety_flag_raised(uow: SchedulingUnitOfWork, flag: SafetyFlag) -> None:
    """Keep the flag; a suicidality flag blocks treatment bookings and check-in while open."""
    if uow.projections.safety_flag(flag.flag_id) is None:
        uow.projections.add(flag)


def safety_flag_acknowledged(uow: SchedulingUnitOfWork, flag_id: str, patient_id: str,
                             at: dt.datetime) -> None:
    """Close the flag; an acknowledgement seen before its flag keeps the flag closed."""
    flag = uow.projections.safety_flag(flag_id)
    if flag is None:
        flag = SafetyFlag(flag_id=flag_id, patient_id=patient_id, kind="", raised_at=at)
        uow.projections.add(flag)
    if flag.acknowledged_at is None:
        flag.acknowledged_at = at
