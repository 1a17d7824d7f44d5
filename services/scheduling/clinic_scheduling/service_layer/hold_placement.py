"""Placing a hold: the booking's checks at a start, then the slot's resources and staff kept
for a patient for a while. Used by CreateHold and by waitlist offers."""

from __future__ import annotations

import datetime as dt

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import new_id
from clinic_scheduling.domain.hold import HELD, SlotHold
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.appointment_types import type_of
from clinic_scheduling.service_layer.appointments import (
    _free_slot,
    lock_slot,
    plan_minutes,
    require_plan_sessions,
    staff_candidates,
    staff_for,
)
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


def place_hold(uow: SchedulingUnitOfWork, location_id: str, patient_id: str,
               appointment_type: str, start: dt.datetime, now: dt.datetime,
               policy: SchedulingPolicy, lasting: dt.timedelta,
               moving: str | None = None) -> SlotHold:
    """Holds the slot for ``lasting`` when a booking then would pass every rule (for
    ``moving``, an appointment of the patient's to be moved there, as a reschedule would):
    its resources and the staff a booking then would use. Announced as HoldPlaced.

    Before the checks, the rows of the staff of the roles the type needs and of the
    location's resources of the kinds it needs are locked (appointments.lock_slot, as a
    booking locks them): concurrent holds and bookings that may take the same chair or
    person run one after the other, and the later one sees the earlier's hold or booking
    (PostgreSQL; SQLite serializes writers)."""
    location = uow.locations.for_booking(location_id)
    if location is None:
        raise errors.LocationUnknown(location_id)
    kind = type_of(uow, appointment_type, "appointment_type")
    start, end = kind.slot(start, None, plan_minutes(uow, patient_id, kind))
    lock_slot(uow, location, kind)
    candidates = staff_candidates(uow, location, kind)
    resource_ids = _free_slot(uow, location, kind, patient_id, start, end, (), now,
                              moving=moving)
    require_plan_sessions(uow, patient_id, kind, start, moving=moving)
    staff = staff_for(uow, location, kind, start, end, policy, candidates, moving=moving,
                      now=now)
    hold = SlotHold(new_id(), location.location_id, patient_id, kind.code, start, end,
                    tuple(resource_ids), now + lasting, HELD, now,
                    staff=tuple((member, need, exclusive) for member, need, exclusive in staff),
                    staff_windows=kind.staff_windows(start, end))
    uow.holds.add(hold)
    uow.emit(announcements.hold_placed(hold), key=patient_id)
    return hold
