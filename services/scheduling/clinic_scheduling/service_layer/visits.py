"""State transitions of a booked visit: cancel, no-show, complete. Each announces itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_scheduling.domain.appointment import Appointment, Initiator
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.appointments import appointment_of
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

Transition = Callable[[Appointment, SchedulingUnitOfWork, dt.datetime], None]


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


def cancel_appointment(cmd: CancelAppointment, runner: Runner[SchedulingUnitOfWork],
                       policy: SchedulingPolicy) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, now: dt.datetime) -> None:
        kind = uow.appointment_types.get(appointment.appointment_type)
        appointment.cancel(cmd.reason, cmd.initiated_by, now, policy.late_cancel_window,
                           fee_applies=kind.late_cancel_fee)
        uow.emit(announcements.cancelled(appointment, now), key=appointment.patient_id)

    return _transition(runner, "CancelAppointment", cmd.ref, change)


def mark_no_show(ref: AppointmentRef, runner: Runner[SchedulingUnitOfWork]) -> str:
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, now: dt.datetime) -> None:
        appointment.mark_no_show(now)
        uow.emit(announcements.no_show(appointment), key=appointment.patient_id)

    return _transition(runner, "MarkAppointmentNoShow", ref, change)


def complete_appointment(cmd: CompleteAppointment, runner: Runner[SchedulingUnitOfWork]) -> str:
    """Completes the visit and announces its billable lines.

    The lines come from the appointment type; a dosed line (J3490) counts the
    milligrams given, or the patient's plan dose for that modality, or 0.
    """
    def change(appointment: Appointment, uow: SchedulingUnitOfWork, now: dt.datetime) -> None:
        appointment.complete(now, cmd.rendering_provider_id)
        kind = uow.appointment_types.get(appointment.appointment_type)
        plan = uow.projections.active_plan(appointment.patient_id, kind.modality) \
            if kind.modality else None
        dose_mcg = cmd.administered_dose_mcg or (plan.dose_mcg if plan else 0)
        diagnoses = [plan.indication_code] if plan and plan.indication_code else []
        uow.emit(announcements.completed(appointment, kind.service_lines(dose_mcg), diagnoses,
                                         now), key=appointment.patient_id)

    return _transition(runner, "CompleteAppointment", cmd.ref, change)


def _transition(runner: Runner[SchedulingUnitOfWork], method: str, ref: AppointmentRef,
                change: Transition) -> str:
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        appointment = appointment_of(uow, ref.location_id, ref.appointment_id, ref.scope)
        c.concerns(appointment.patient_id)
        change(appointment, uow, c.now)
        return appointment.appointment_id

    return runner.change(method, ref.key, action)
