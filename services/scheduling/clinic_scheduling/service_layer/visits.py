"""State transitions of a booked visit: cancel, no-show, the visit day, complete. Each
announces itself where another service needs to know."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_scheduling.domain.appointment import Appointment, Initiator, Status
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.visit import BillingFacts, Checklist, VitalSigns
from clinic_scheduling.service_layer import announcements, waitlist_offers
from clinic_scheduling.service_layer.appointments import (
    appointment_of,
    require_no_open_safety_flag,
)
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

Transition = Callable[[Appointment, SchedulingUnitOfWork, Change], None]


@dataclass(frozen=True)
class AppointmentRef:
    location_id: str
    appointment_id: str
    key: RequestKey = NO_KEY
    # The locations a "locations/-/appointments/{id}" name may resolve to (None: any).
    scope: frozenset[str] | None = None


@dataclass(frozen=True)
class CancelAppointment:
    ref: AppointmentRef
    reason: str
    initiated_by: Initiator


@dataclass(frozen=True)
class CompleteAppointment:
    ref: AppointmentRef
    rendering_provider_id: str = ""
    administered_dose_mcg: int = 0  # 0: the treatment plan's dose
    facts: BillingFacts = BillingFacts()


def cancel_appointment(cmd: CancelAppointment, runner: Runner[SchedulingUnitOfWork],
                       policy: SchedulingPolicy) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        kind = uow.appointment_types.get(appointment.appointment_type)
        appointment.cancel(cmd.reason, cmd.initiated_by, c.now, policy.late_cancel_window,
                           fee_applies=kind.late_cancel_fee)
        uow.emit(announcements.cancelled(appointment, c.now), key=appointment.patient_id)
        uow.appointments.flush()
        waitlist_offers.offer_freed(uow, waitlist_offers.freed_by_cancel(appointment), c.now,
                                    policy)

    return _transition(runner, "CancelAppointment", cmd.ref, change)


def mark_no_show(ref: AppointmentRef, runner: Runner[SchedulingUnitOfWork]) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        appointment.mark_no_show(c.now)
        uow.emit(announcements.no_show(appointment), key=appointment.patient_id)

    return _transition(runner, "MarkAppointmentNoShow", ref, change)


@dataclass(frozen=True)
class CheckIn:
    ref: AppointmentRef
    escort_confirmed: bool = False
    fasting_confirmed: bool = False


@dataclass(frozen=True)
class StartVisit:
    ref: AppointmentRef
    drug: str = ""
    dose_mcg: int = 0
    lot_number: str = ""


@dataclass(frozen=True)
class RecordVitals:
    ref: AppointmentRef
    taken_at: dt.datetime | None  # None: now
    systolic_mmhg: int
    diastolic_mmhg: int
    pulse_bpm: int
    spo2_percent: int


def check_in(cmd: CheckIn, runner: Runner[SchedulingUnitOfWork],
             policy: SchedulingPolicy) -> str:
    """Check in once the clearance's checklist is confirmed and no suicidality flag is open."""
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        kind = uow.appointment_types.get(appointment.appointment_type)
        clearance = uow.projections.latest_clearance(appointment.patient_id, kind.modality) \
            if kind.modality else None
        plan = uow.projections.active_plan(appointment.patient_id, kind.modality) \
            if kind.modality else None
        if kind.modality:
            require_no_open_safety_flag(uow, appointment.patient_id)
        weighed = plan.weight_measured_at if plan else None
        appointment.check_in(c.now, Checklist(
            escort_confirmed=cmd.escort_confirmed, fasting_confirmed=cmd.fasting_confirmed,
            escort_required=bool(clearance and clearance.escort_required),
            fasting_required=bool(clearance and clearance.fasting_instruction.strip()),
            weight_outdated=weighed is not None
            and c.now - weighed > policy.visit.weight_max_age))
        uow.emit(announcements.checked_in(appointment), key=appointment.patient_id)

    return _transition(runner, "CheckInAppointment", cmd.ref, change)


def start_visit(cmd: StartVisit, runner: Runner[SchedulingUnitOfWork]) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        appointment.start_visit(c.now, drug=cmd.drug, dose_mcg=cmd.dose_mcg,
                                lot_number=cmd.lot_number, staff_id=c.actor)
        uow.emit(announcements.visit_started(appointment), key=appointment.patient_id)

    return _transition(runner, "StartVisit", cmd.ref, change)


def record_vitals(cmd: RecordVitals, runner: Runner[SchedulingUnitOfWork],
                  policy: SchedulingPolicy) -> tuple[str, list[str]]:
    """Record a set of vital signs; readings out of the policy's range announce an alert.
    Returns the appointment id and the readings that alerted. A retry with the request id
    records nothing more and answers as the first call did: the alerts of the set it
    recorded."""
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        appointment = appointment_of(uow, cmd.ref.location_id, cmd.ref.appointment_id,
                                     cmd.ref.scope)
        c.concerns(appointment.patient_id)
        vitals = VitalSigns(taken_at=cmd.taken_at or c.now, systolic_mmhg=cmd.systolic_mmhg,
                            diastolic_mmhg=cmd.diastolic_mmhg, pulse_bpm=cmd.pulse_bpm,
                            spo2_percent=cmd.spo2_percent, recorded_by=c.actor)
        appointment.record_vitals(vitals, c.now)
        alerts = vitals.alerts(policy.visit)
        if alerts:
            uow.emit(announcements.vitals_alert(appointment, vitals, alerts),
                     key=appointment.patient_id)
        return vitals.vitals_id

    def present(uow: SchedulingUnitOfWork, vitals_id: str) -> tuple[str, list[str]]:
        appointment = appointment_of(uow, cmd.ref.location_id, cmd.ref.appointment_id,
                                     cmd.ref.scope)
        recorded = [v for v in appointment.vitals if v.vitals_id == vitals_id]
        return appointment.appointment_id, (recorded[0].alerts(policy.visit) if recorded
                                            else [])

    return runner.change_and_read("RecordVisitVitals", cmd.ref.key, action, present)[1]


def end_visit(ref: AppointmentRef, runner: Runner[SchedulingUnitOfWork]) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        appointment.end_visit(c.now)

    return _transition(runner, "EndVisit", ref, change)


def discharge(ref: AppointmentRef, escort_name: str, runner: Runner[SchedulingUnitOfWork],
              policy: SchedulingPolicy) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        kind = uow.appointment_types.get(appointment.appointment_type)
        appointment.discharge(c.now, escort_name, kind.modality, policy.visit)

    return _transition(runner, "DischargeVisit", ref, change)


def complete_appointment(cmd: CompleteAppointment, runner: Runner[SchedulingUnitOfWork]) -> str:
    """Completes the visit and announces its billable lines and what the visit recorded.

    The lines come from the appointment type; a dosed line (J3490) counts the
    milligrams given at the start of the visit, else the dose the call names, else the
    patient's plan dose for that modality, else 0.
    """
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, c: Change) -> None:
        kind = uow.appointment_types.get(appointment.appointment_type)
        appointment.complete(c.now, cmd.rendering_provider_id, treatment=bool(kind.modality),
                             modality=kind.modality, facts=cmd.facts)
        plan = uow.projections.active_plan(appointment.patient_id, kind.modality) \
            if kind.modality else None
        dose_mcg = appointment.dose_given_mcg or cmd.administered_dose_mcg or \
            (plan.dose_mcg if plan else 0)
        diagnoses = [plan.indication_code] if plan and plan.indication_code else []
        first_tms = _first_tms(uow, appointment) if kind.modality == "TMS" else None
        uow.emit(announcements.completed(
            appointment, kind.service_lines(dose_mcg), diagnoses, c.now,
            first_tms_session=first_tms,
            infusion=kind.modality == "IV_KETAMINE"), key=appointment.patient_id)

    return _transition(runner, "CompleteAppointment", cmd.ref, change)


def _transition(runner: Runner[SchedulingUnitOfWork], method: str, ref: AppointmentRef,
                change: Transition) -> str:
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        appointment = appointment_of(uow, ref.location_id, ref.appointment_id, ref.scope)
        c.concerns(appointment.patient_id)
        change(appointment, uow, c)
        return appointment.appointment_id

    return runner.change(method, ref.key, action)


def _first_tms(uow: SchedulingUnitOfWork, appointment: Appointment) -> bool:
    """No earlier TMS visit of the patient was completed."""
    for other in uow.appointments.of_patient(appointment.patient_id):
        if other.appointment_id == appointment.appointment_id or \
                other.status != Status.FULFILLED or other.start_time > appointment.start_time:
            continue
        if uow.appointment_types.get(other.appointment_type).modality == "TMS":
            return False
    return True
