"""Appointment types as data: how long a visit takes, what it needs, what it bills.

The rows are seeded by a migration; a clinic changes them as data, not code.
"""

from __future__ import annotations

import datetime as dt
import re
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
    revision: int = 0  # counted up by each change

    def change(self, values: TypeChange, fields: set[str]) -> bool:
        """Takes the ``fields`` of ``values`` (checked first); True when anything changed.
        Existing appointments keep their times; new bookings and searches use the new
        values."""
        values.validate(fields)
        before = self._shape()
        for name in fields & {"display_name", "duration_minutes", "observation_minutes",
                              "required_certification", "duration_from_plan"}:
            setattr(self, name, getattr(values, name))
        if "observation_minutes" not in fields or "duration_minutes" not in fields:
            _check_observation(self.duration_minutes, self.observation_minutes)
        if "resource_kinds" in fields or "staff_roles" in fields:
            kinds = values.resource_kinds if "resource_kinds" in fields else self.resource_kinds
            roles = values.staff_roles if "staff_roles" in fields else self.staff_needs
            # In the order the database gives them back (by kind, then code).
            wanted = sorted([(RESOURCE, k) for k in kinds] + [(STAFF, r) for r in roles])
            if wanted != [(n.need_kind, n.code) for n in self.needs]:
                self.needs[:] = [Need(kind, code) for kind, code in wanted]
        if self._shape() == before:
            return False
        self.revision += 1
        return True

    def _shape(self) -> tuple:
        return (self.display_name, self.duration_minutes, self.observation_minutes,
                self.required_certification, self.duration_from_plan,
                tuple((n.need_kind, n.code) for n in self.needs))

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


# What UpdateAppointmentType may change. The code is the type's identity; the modality is
# not changed in place: it decides which clearance the bookings already made rested on.
UPDATABLE = ("display_name", "duration_minutes", "observation_minutes",
             "required_certification", "duration_from_plan", "resource_kinds", "staff_roles")
RESOURCE_KIND_CODES = ("CONSULT_ROOM", "TREATMENT_ROOM", "INFUSION_CHAIR", "TMS_DEVICE")
STAFF_NEED_CODES = ("RN", "OBSERVER", "PROVIDER", "TMS_TECHNICIAN")
MAX_MINUTES = 12 * 60
CERTIFICATION = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


@dataclass(frozen=True)
class TypeChange:
    """New values of an appointment type's fields (only the masked ones are taken)."""

    display_name: str = ""
    duration_minutes: int = 0
    observation_minutes: int = 0
    required_certification: str = ""
    duration_from_plan: bool = False
    resource_kinds: tuple[str, ...] = ()
    staff_roles: tuple[str, ...] = ()

    def validate(self, fields: set[str]) -> None:
        if "display_name" in fields and not 0 < len(self.display_name.strip()) <= 200:
            raise errors.field("appointment_type.display_name", "must be 1-200 characters")
        if "duration_minutes" in fields and not 5 <= self.duration_minutes <= MAX_MINUTES:
            raise errors.field("appointment_type.duration_minutes",
                               f"must be 5 to {MAX_MINUTES} minutes")
        if {"duration_minutes", "observation_minutes"} <= fields:
            _check_observation(self.duration_minutes, self.observation_minutes)
        if "required_certification" in fields and self.required_certification and \
                not CERTIFICATION.fullmatch(self.required_certification):
            raise errors.field("appointment_type.required_certification",
                               "is an UPPER_SNAKE code such as SPRAVATO_REMS, or empty")
        _check_codes(fields, "resource_kinds", self.resource_kinds, RESOURCE_KIND_CODES)
        _check_codes(fields, "staff_roles", self.staff_roles, STAFF_NEED_CODES)


def _check_observation(duration: int, observation: int) -> None:
    if not 0 <= observation < duration:
        raise errors.field("appointment_type.observation_minutes",
                           f"must be at least 0 and under the duration ({duration} minutes)")


def _check_codes(fields: set[str], name: str, values: tuple[str, ...],
                 known: tuple[str, ...]) -> None:
    if name not in fields:
        return
    unknown = [v for v in values if v not in known]
    if unknown or len(set(values)) != len(values):
        raise errors.field(f"appointment_type.{name}",
                           f"each once, of {', '.join(known)}"
                           + (f"; not {unknown[0]!r}" if unknown else ""))


def dose_in_mg(dose_mcg: int | None) -> int | None:
    """Whole milligrams, rounded half up, as claim lines count them; None when unknown."""
    if not dose_mcg:
        return None
    return (dose_mcg + 500) // 1000
