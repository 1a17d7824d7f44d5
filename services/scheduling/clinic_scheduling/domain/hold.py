"""A slot hold: the resources and staff of one slot kept for one patient's booking for a few
minutes. While it is HELD and not expired, searches and other bookings see its resources as
busy and count its staff as assigned; booking with its id consumes it (on the held staff)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

HELD, RELEASED, CONSUMED, EXPIRED = "HELD", "RELEASED", "CONSUMED", "EXPIRED"


@dataclass
class SlotHold:
    hold_id: str
    location_id: str
    patient_id: str
    appointment_type: str
    start_time: dt.datetime
    end_time: dt.datetime
    resource_ids: tuple[str, ...]
    expires_at: dt.datetime
    status: str
    created_at: dt.datetime
    # (staff member, need, exclusive) the slot would use; empty for a hold placed before
    # migration 0018_hold_staff (its staff are picked again at booking).
    staff: tuple[tuple[str, str, bool], ...] = ()
    # When in the slot each need is needed (AppointmentType.staff_windows: an RN during
    # the infusion part only); a need not in it keeps its member for the whole slot.
    staff_windows: dict = field(default_factory=dict, compare=False)

    def staff_window(self, need: str) -> tuple[dt.datetime, dt.datetime]:
        """When in the slot the member filling ``need`` is kept."""
        return self.staff_windows.get(need, (self.start_time, self.end_time))

    def active(self, now: dt.datetime) -> bool:
        return self.status == HELD and now < self.expires_at

    def lapsed(self, now: dt.datetime) -> bool:
        """Still marked held, but its time ran out (the sweeper marks it EXPIRED)."""
        return self.status == HELD and now >= self.expires_at
