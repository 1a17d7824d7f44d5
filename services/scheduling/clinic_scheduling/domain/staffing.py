"""Which staff an appointment uses: one staff member per staff need of its type.

A staff need is needed during the parts of the type that name it (an RN through the
infusion part, the observer through the observation, the provider through their
consultation); the resources stay held for the whole visit. An RN stays with an IV infusion for its whole time and may run up to the policy's number
of overlapping infusions (chairs) at once; a Spravato observation needs an observer, an
RN who counts it toward the same ratio; a provider or a TMS technician is with one
patient at a time. A staff member is picked only while on a shift at the location that
covers the whole visit (local wall-clock times), not on time off, and not over their
load at any location.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from clinic_common.errors import FailedPrecondition

from clinic_scheduling.domain.staff import StaffMember

# The staff role that fills each staff need of an appointment type.
ROLE_FOR_NEED = {"RN": "RN", "OBSERVER": "RN", "PROVIDER": "PROVIDER",
                 "TMS_TECHNICIAN": "TMS_TECHNICIAN"}
# Needs an RN fills alongside others, up to the ratio; every other need is exclusive.
SHARED_NEEDS = frozenset({"RN", "OBSERVER"})


class NoStaffAvailable(FailedPrecondition):
    default_reason = "NO_STAFF_AVAILABLE"

    def __init__(self, location_id: str, need: str):
        super().__init__(f"no {need} is on shift and free at {location_id!r} for that time",
                         location_id=location_id, staff_role=need)


def can_take(member: StaffMember, need: str, location_id: str, zone: ZoneInfo,
             start: dt.datetime, end: dt.datetime, load: tuple[int, int],
             max_shared: int) -> bool:
    """Whether the staff member may fill ``need`` for the visit [start, end)."""
    if not member.on_shift(location_id, start.astimezone(zone), end.astimezone(zone)):
        return False
    if member.away(start, end):
        return False
    exclusive, shared = load
    if need in SHARED_NEEDS:
        return exclusive == 0 and shared < max_shared
    return exclusive == 0 and shared == 0


Load = Mapping[str, tuple[int, int]]
Window = tuple[dt.datetime, dt.datetime]


def pick_staff(needs: Sequence[str], candidates: Mapping[str, list[StaffMember]],
               load: Load | Callable[[dt.datetime, dt.datetime], Load], *, location_id: str,
               zone: ZoneInfo, start: dt.datetime, end: dt.datetime, max_shared: int,
               windows: Mapping[str, Window] | None = None) -> list[tuple[str, str, bool]]:
    """(staff member, need, exclusive) for each need. ``candidates`` are the staff of each
    role at the location. Among those free, the least loaded is picked, then by id; a need
    nobody can fill (none free, or nobody of its role at the location at all: an IV
    infusion without an RN on record is not booked) is NoStaffAvailable.

    ``windows`` (AppointmentType.staff_windows) says when in the visit each need is needed
    (an RN during the infusion part only); a need not in it is needed for the whole visit.
    ``load`` is then the load over a window, asked for each one."""
    chosen: list[tuple[str, str, bool]] = []
    for need in needs:
        need_start, need_end = (windows or {}).get(need, (start, end))
        need_load = load(need_start, need_end) if callable(load) else load
        role = ROLE_FOR_NEED.get(need)
        if role is None:
            raise NoStaffAvailable(location_id, need)
        pool = candidates.get(role, [])
        taken = {c[0] for c in chosen}
        free = [m for m in pool if m.staff_member_id not in taken and can_take(
            m, need, location_id, zone, need_start, need_end,
            need_load.get(m.staff_member_id, (0, 0)), max_shared)]
        if not free:
            raise NoStaffAvailable(location_id, need)
        best = min(free, key=lambda m: (need_load.get(m.staff_member_id, (0, 0))[1],
                                        m.staff_member_id))
        chosen.append((best.staff_member_id, need, need not in SHARED_NEEDS))
    return chosen
