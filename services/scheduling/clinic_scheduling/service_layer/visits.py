"""State transitions of a booked visit: cancel, no-show, complete. Each announces itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from clinic_common.unit_of_work import run_once

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import Appointment
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


@dataclass(frozen=True)
class AppointmentRef:
    location_id: str
    appointment_id: str
    request_id: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class CancelAppointment:
    ref: AppointmentRef
    reason: str


@dataclass(frozen=True)
class CompleteAppointment:
    ref: AppointmentRef
    rendering_provider_id: str = ""
    administered_dose_mcg: int = 0  # 0: the treatment plan's dose


def cancel_appointment(cmd: CancelAppointment, uow: SchedulingUnitOfWork,
                       policy: SchedulingPolicy, now: dt.datetime) -> str:
    def change(appointment: Appointment) -> None:
        appointment.cancel(cmd.reason, now, policy.late_cancel_window)
        uow.emit(announcements.cancelled(appointment, now), key=appointment.patient_id)

    return _transition(uow, "CancelAppointment", cmd.ref, change)


def mark_no_show(ref: AppointmentRef, uow: SchedulingUnitOfWork, now: dt.datetime) -> str:
    def change(appointment: Appointment) -> None:
        appointment.mark_no_show(now)
        uow.emit(announcements.no_show(appointment), key=appointment.patient_id)

    return _transition(uow, "MarkAppointmentNoShow", ref, change)


def complete_appointment(cmd: CompleteAppointment, uow: SchedulingUnitOfWork,
                         now: dt.datetime) -> str:
    """Completes the visit and announces its billable lines.

    The lines come from the appointment type; a dosed line (J3490) counts the
    milligrams given, or the patient's plan dose for that modality, or 0.
    """
    def change(appointment: Appointment) -> None:
        appointment.complete(now, cmd.rendering_provider_id)
        kind = uow.appointment_types.get(appointment.appointment_type)
        plan = uow.projections.active_plan(appointment.patient_id, kind.modality) \
            if kind.modality else None
        dose_mcg = cmd.administered_dose_mcg or (plan.dose_mcg if plan else 0)
        diagnoses = [plan.indication_code] if plan and plan.indication_code else []
        uow.emit(announcements.completed(appointment, kind.service_lines(dose_mcg), diagnoses,
                                         now), key=appointment.patient_id)

    return _transition(uow, "CompleteAppointment", cmd.ref, change)


def _transition(uow: SchedulingUnitOfWork, method: str, ref: AppointmentRef,
                change: Callable[[Appointment], None]) -> str:
    with uow:
        def action() -> str:
            appointment = uow.appointments.get(ref.location_id, ref.appointment_id)
            if appointment is None:
                raise errors.AppointmentNotFound(ref.location_id, ref.appointment_id)
            change(appointment)
            return appointment.appointment_id

        return run_once(uow, method, ref.request_id, ref.fingerprint, action)
