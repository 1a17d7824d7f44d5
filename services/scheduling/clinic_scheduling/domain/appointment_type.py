"""Appointment types as data: how long a visit takes, what it needs, what it bills.

The rows are seeded by a migration; a clinic changes them as data, not code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_scheduling.domain import errors

RESOURCE = "RESOURCE"
STAFF = "STAFF"


@dataclass(frozen=True)
class ServiceLineValue:
    """One billable line of a completed visit."""

    procedure_code: str
    units: int


@dataclass(eq=False)
class BillableLine:
    """A default billable line. Dose bands pick a code by dose (G2082 up to 56 mg, G2083 above)."""

    position: int
    procedure_code: str
    units: int = 1
    units_from_dose: bool = False  # units are the dose in mg (J3490), 0 when unknown
    dose_above_mg: int | None = None  # only when the dose is known and above this
    dose_at_most_mg: int | None = None  # only when the dose is unknown or at most this

    def applies(self, dose_mg: int | None) -> bool:
        if self.dose_above_mg is not None:
            return dose_mg is not None and dose_mg > self.dose_above_mg
        if self.dose_at_most_mg is not None:
            return dose_mg is None or dose_mg <= self.dose_at_most_mg
        return True

    def line(self, dose_mg: int | None) -> ServiceLineValue:
        units = (dose_mg or 0) if self.units_from_dose else self.units
        return ServiceLineValue(self.procedure_code, units)


@dataclass(eq=False)
class Need:
    """Something a visit needs: a resource kind, or a staff role (no booking without one)."""

    need_kind: str  # RESOURCE or STAFF
    code: str  # such as INFUSION_CHAIR or RN


@dataclass(eq=False)
class AppointmentType:
    code: str
    display_name: str
    duration_minutes: int
    observation_minutes: int = 0  # recovery or observation inside the duration
    # The treatment modality (IV_KETAMINE, SPRAVATO, TMS) as intake names it: booking the
    # type needs a clearance and an active plan for it. Empty for visits that need neither.
    modality: str = ""
    required_certification: str = ""  # such as SPRAVATO_REMS
    # Whether a patient's late cancellation is late (and billing charges its fee); a free
    # consultation carries no fee, so cancelling it is never late.
    late_cancel_fee: bool = True
    # The active plan's infusion length, plus observation_minutes, is the visit's length
    # (the pain protocols run 40 min to 4 h); duration_minutes when the plan gives none.
    duration_from_plan: bool = False
    needs: list[Need] = field(default_factory=list)
    lines: list[BillableLine] = field(default_factory=list)

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    def length(self, plan_minutes: int = 0) -> dt.timedelta:
        """The visit's length for a patient whose active plan gives ``plan_minutes``."""
        if self.duration_from_plan and plan_minutes > 0:
            return dt.timedelta(minutes=plan_minutes + self.observation_minutes)
        return self.duration

    @property
    def needs_clearance(self) -> bool:
        return bool(self.modality)

    @property
    def resource_kinds(self) -> list[str]:
        return [n.code for n in self.needs if n.need_kind == RESOURCE]

    @property
    def staff_needs(self) -> list[str]:
        return [n.code for n in self.needs if n.need_kind == STAFF]

    def slot(self, start: dt.datetime, end: dt.datetime | None,
             plan_minutes: int = 0) -> tuple[dt.datetime, dt.datetime]:
        """The visit's interval: the type's length (or the plan's) unless a longer end is
        asked for."""
        length = self.length(plan_minutes)
        if end is None:
            return start, start + length
        if end - start < length:
            minutes = int(length.total_seconds() // 60)
            raise errors.field("appointment.end_time",
                               f"a {self.code} lasts at least {minutes} minutes",
                               reason="DURATION_TOO_SHORT")
        return start, end

    def service_lines(self, dose_mcg: int | None) -> list[ServiceLineValue]:
        dose_mg = dose_in_mg(dose_mcg)
        return [line.line(dose_mg) for line in sorted(self.lines, key=lambda b: b.position)
                if line.applies(dose_mg)]


def dose_in_mg(dose_mcg: int | None) -> int | None:
    """Whole milligrams, rounded half up, as claim lines count them; None when unknown."""
    if not dose_mcg:
        return None
    return (dose_mcg + 500) // 1000
