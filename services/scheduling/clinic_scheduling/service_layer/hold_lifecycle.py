"""How a hold ends, in one place: its new state and the HoldReleased event, together."""

from __future__ import annotations

import datetime as dt

from clinic_scheduling.domain.hold import SlotHold
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


def end_hold(uow: SchedulingUnitOfWork, hold: SlotHold, status: str, now: dt.datetime,
             appointment_id: str = "") -> bool:
    """Marks a HELD hold RELEASED, CONSUMED or EXPIRED and announces it. Only the transaction
    that moves it out of HELD does so (a conditional update): two sweeps, or a sweep and a
    booking, never both end it. Returns whether this one did."""
    if not uow.holds.end(hold.hold_id, status):
        return False
    hold.status = status
    uow.emit(announcements.hold_released(hold, status, now, appointment_id),
             key=hold.patient_id)
    return True
