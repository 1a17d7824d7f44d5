"""Slot holds: keep one slot's resources for a patient's booking for a few minutes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.runner import NO_KEY, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import new_id
from clinic_scheduling.domain.hold import EXPIRED, HELD, RELEASED, SlotHold
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.appointment_types import type_of
from clinic_scheduling.service_layer.appointments import (
    DEFAULT_POLICY,
    _free_slot,
    known_patient,
    plan_minutes,
    require_plan_sessions,
    staff_candidates,
    staff_for,
)
from clinic_scheduling.service_layer.hold_lifecycle import end_hold
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


@dataclass(frozen=True)
class CreateHold:
    location_id: str
    patient_id: str
    appointment_type: str
    start: dt.datetime
    key: RequestKey = NO_KEY


def create_hold(cmd: CreateHold, runner: Runner[SchedulingUnitOfWork],
                policy: SchedulingPolicy = DEFAULT_POLICY) -> SlotHold:
    """Holds the slot when a booking then would pass every rule; the staff are not held."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        patient_id = known_patient(uow, cmd.patient_id)
        c.concerns(patient_id)
        location = uow.locations.for_booking(cmd.location_id)
        if location is None:
            raise errors.LocationUnknown(cmd.location_id)
        kind = type_of(uow, cmd.appointment_type, "appointment_type")
        start, end = kind.slot(cmd.start, None, plan_minutes(uow, patient_id, kind))
        candidates = staff_candidates(uow, location, kind)
        resource_ids = _free_slot(uow, location, kind, patient_id, start, end, (), c.now)
        require_plan_sessions(uow, patient_id, kind, start)
        staff_for(uow, location, kind, start, end, policy, candidates)
        hold = SlotHold(new_id(), location.location_id, patient_id, kind.code, start, end,
                        tuple(resource_ids), c.now + policy.hold_duration, HELD, c.now)
        uow.holds.add(hold)
        uow.emit(announcements.hold_placed(hold), key=patient_id)
        return hold.hold_id

    def present(uow: SchedulingUnitOfWork, hold_id: str) -> SlotHold:
        return hold_of(uow, cmd.location_id, hold_id)

    return runner.change_and_read("CreateHold", cmd.key, action, present)[1]


def hold_of(uow: SchedulingUnitOfWork, location_id: str, hold_id: str) -> SlotHold:
    hold = uow.holds.get(location_id, hold_id)
    if hold is None:
        raise errors.HoldNotFound(location_id, hold_id)
    return hold


def release_hold(location_id: str, hold_id: str, runner: Runner[SchedulingUnitOfWork],
                 key: RequestKey = NO_KEY) -> SlotHold:
    def action(uow: SchedulingUnitOfWork, c) -> str:
        hold = hold_of(uow, location_id, hold_id)
        c.concerns(hold.patient_id)
        if hold.status == HELD:
            # One that ran out is announced as expired, however late it is noticed.
            end_hold(uow, hold, RELEASED if hold.active(c.now) else EXPIRED, c.now)
        return hold_id

    return runner.change_and_read("ReleaseHold", key, action,
                                  lambda uow, i: hold_of(uow, location_id, i))[1]
