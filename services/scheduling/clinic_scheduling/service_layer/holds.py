"""Slot holds: keep one slot's resources for a patient's booking for a few minutes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.runner import NO_KEY, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.hold import EXPIRED, HELD, RELEASED, SlotHold
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.waitlist import DECLINED
from clinic_scheduling.service_layer import waitlist_offers
from clinic_scheduling.service_layer.appointments import DEFAULT_POLICY, known_patient
from clinic_scheduling.service_layer.hold_lifecycle import end_hold
from clinic_scheduling.service_layer.hold_placement import place_hold
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
        return place_hold(uow, cmd.location_id, patient_id, cmd.appointment_type, cmd.start,
                          c.now, policy, policy.hold_duration).hold_id

    def present(uow: SchedulingUnitOfWork, hold_id: str) -> SlotHold:
        return hold_of(uow, cmd.location_id, hold_id)

    return runner.change_and_read("CreateHold", cmd.key, action, present)[1]


def hold_of(uow: SchedulingUnitOfWork, location_id: str, hold_id: str) -> SlotHold:
    hold = uow.holds.get(location_id, hold_id)
    if hold is None:
        raise errors.HoldNotFound(location_id, hold_id)
    return hold


def release_hold(location_id: str, hold_id: str, runner: Runner[SchedulingUnitOfWork],
                 key: RequestKey = NO_KEY,
                 policy: SchedulingPolicy = DEFAULT_POLICY) -> SlotHold:
    """Releases a held slot, which is then offered to the waitlist. Releasing the hold of an
    open waitlist offer declines the offer."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        hold = hold_of(uow, location_id, hold_id)
        c.concerns(hold.patient_id)
        if hold.status == HELD:
            offer = uow.waitlist.open_offer_of_hold(hold_id)
            if offer is not None and not offer.lapsed(c.now):
                waitlist_offers.pass_on(uow, offer, DECLINED, c.now, policy)
            elif offer is not None:
                waitlist_offers.expire_offer(uow, offer.offer_id, c.now, policy)
            # One that ran out is announced as expired, however late it is noticed.
            elif end_hold(uow, hold, RELEASED if hold.active(c.now) else EXPIRED, c.now):
                waitlist_offers.offer_freed(uow, waitlist_offers.freed_by_hold(hold), c.now,
                                            policy)
        return hold_id

    return runner.change_and_read("ReleaseHold", key, action,
                                  lambda uow, i: hold_of(uow, location_id, i))[1]
