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


PART_KINDS = ("DOSE", "INFUSION", "RECOVERY", "OBSERVATION", "SESSION", "CONSULT")
# Parts that come after the treatment: a trailing run of them is the observation_minutes.
AFTERCARE = frozenset({"RECOVERY", "OBSERVATION"})


@dataclass(eq=False)
class Part:
    """One part of a visit, in order: its length and what it holds while it lasts.

    The codes are kept space-separated in the row (``resource_codes``, ``staff_codes``)."""

    position: int
    kind: str  # one of PART_KINDS
    minutes: int  # with length_from_plan: the length when the plan gives none
    length_from_plan: bool = False
    min_minutes: int = 0  # bounds on the plan's length (0: none)
    max_minutes: int = 0
    resource_codes: str = ""
    staff_codes: str = ""

    @property
    def resource_kinds(self) -> tuple[str, ...]:
        return tuple(self.resource_codes.split())

    @property
    def staff_roles(self) -> tuple[str, ...]:
        return tuple(self.staff_codes.split())

    def length(self, plan_minutes: int = 0) -> int:
        """The part's minutes for a patient whose active plan gives ``plan_minutes``."""
        if not (self.length_from_plan and plan_minutes > 0):
            return self.minutes
        low = self.min_minutes or plan_minutes
        high = self.max_minutes or plan_minutes
        return min(max(plan_minutes, low), high)

    def shape(self) -> tuple:
        return (self.kind, self.minutes, self.length_from_plan, self.min_minutes,
                self.max_minutes, self.resource_kinds, self.staff_roles)


@dataclass(frozen=True)
class PartValue:
    """A part as given to CreateAppointmentType or UpdateAppointmentType (checked first)."""

    kind: str
    minutes: int
    length_from_plan: bool = False
    min_minutes: int = 0
    max_minutes: int = 0
    resource_kinds: tuple[str, ...] = ()
    staff_roles: tuple[str, ...] = ()

    def part(self, position: int) -> Part:
        return Part(position, self.kind, self.minutes, self.length_from_plan,
                    self.min_minutes, self.max_minutes, " ".join(self.resource_kinds),
                    " ".join(self.staff_roles))


def check_parts(parts: tuple[PartValue, ...], field: str = "appointment_type.parts") -> None:
    """Refuses parts a visit cannot be laid out from, naming the part and the field."""
    if not parts:
        raise errors.field(field, "a type has at least one part, such as "
                           "INFUSION of 45 minutes then RECOVERY of 45")
    for i, part in enumerate(parts):
        at = f"{field}[{i}]"
        if part.kind not in PART_KINDS:
            raise errors.field(f"{at}.kind", f"one of {', '.join(PART_KINDS)}")
        if not 0 < part.minutes <= MAX_MINUTES:
            raise errors.field(f"{at}.minutes", f"must be 1 to {MAX_MINUTES} minutes")
        if part.min_minutes < 0 or part.max_minutes < 0:
            raise errors.field(f"{at}.min_minutes", "bounds are not negative")
        if (part.min_minutes or part.max_minutes) and not part.length_from_plan:
            raise errors.field(f"{at}.min_minutes", "a range of minutes is only for a part "
                               "whose length is taken from the plan (length_from_plan)")
        if part.max_minutes and not \
                (part.min_minutes or 1) <= part.minutes <= part.max_minutes <= MAX_MINUTES:
            raise errors.field(f"{at}.max_minutes", "min_minutes <= minutes <= max_minutes "
                               f"<= {MAX_MINUTES}")
        if part.min_minutes > part.minutes:
            raise errors.field(f"{at}.min_minutes", "min_minutes <= minutes")
        _check_codes({"x"}, "x", part.resource_kinds, RESOURCE_KIND_CODES,
                     f"{at}.resource_kinds")
        _check_codes({"x"}, "x", part.staff_roles, STAFF_NEED_CODES, f"{at}.staff_roles")
    if sum(1 for p in parts if p.length_from_plan) > 1:
        raise errors.field(field, "at most one part takes its length from the plan")
    if parts[0].kind in AFTERCARE:
        raise errors.field(f"{field}[0].kind", "a visit starts with its treatment or "
                           "consultation, not with RECOVERY or OBSERVATION")
    if any(p.length_from_plan and p.kind in AFTERCARE for p in parts):
        raise errors.field(field, "a RECOVERY or OBSERVATION part does not take its length "
                           "from the plan")
    longest = sum(p.max_minutes if p.length_from_plan and p.max_minutes else p.minutes
                  for p in parts)
    if longest > MAX_MINUTES:
        raise errors.field(field, f"the parts add up to at most {MAX_MINUTES} minutes")


def legacy_parts(code: str, duration: int, observation: int, from_plan: bool,
                 kinds: list[str], roles: list[str], modality: str = "",
                 before: list[Part] | None = None) -> list[PartValue]:
    """The parts of a type told by its length, observation and needs alone: its treatment
    (or consultation) with every resource and staff role, then its recovery or observation
    with every resource and the observer. ``before`` keeps the earlier parts' kinds and the
    plan's range."""
    first = before[0] if before else None
    last = before[-1] if before and before[-1].kind in AFTERCARE and len(before) > 1 else None
    if first is not None:
        main_kind = first.kind
    elif modality == "IV_KETAMINE":
        main_kind = "INFUSION"
    elif modality == "SPRAVATO":
        main_kind = "DOSE"
    elif modality:
        main_kind = "SESSION"
    else:
        main_kind = "CONSULT"
    plan_part = next((p for p in before or [] if p.length_from_plan), None)
    low = plan_part.min_minutes if plan_part and from_plan else 0
    high = plan_part.max_minutes if plan_part and from_plan else 0
    minutes = duration - observation
    if from_plan:
        low, high = (min(low, minutes) if low else 0), (max(high, minutes) if high else 0)
    parts = [PartValue(main_kind, minutes, from_plan, low, high, tuple(kinds), tuple(roles))]
    if observation:
        after_kind = last.kind if last else ("OBSERVATION" if main_kind == "DOSE"
                                             else "RECOVERY")
        parts.append(PartValue(after_kind, observation, resource_kinds=tuple(kinds),
                               staff_roles=tuple(r for r in roles if r == "OBSERVER")))
    return parts


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
    # The visit's parts in order (migration 0017); the fields above follow from them. A type
    # without stored parts (one built in a test) has the ones its fields tell.
    parts: list[Part] = field(default_factory=list)

    @classmethod
    def create(cls, code: str, display_name: str, modality: str, required_certification: str,
               parts: tuple[PartValue, ...]) -> AppointmentType:
        if not CODE.fullmatch(code):
            raise errors.field("appointment_type_id", "is an UPPER_SNAKE code such as "
                               "KETAMINE_IM_SESSION, at most 64 characters")
        TypeChange(display_name=display_name,
                   required_certification=required_certification).validate(
            {"display_name", "required_certification"})
        if modality not in MODALITIES:
            raise errors.field("appointment_type.modality",
                               f"one of {', '.join(m for m in MODALITIES if m)}, or empty")
        check_parts(parts)
        kind = cls(code, display_name.strip(), 0, modality=modality,
                   required_certification=required_certification)
        kind._lay_out(parts)
        return kind

    def all_parts(self) -> list[Part]:
        """The stored parts, or those the fields tell for a type without."""
        if self.parts:
            return sorted(self.parts, key=lambda p: p.position)
        return [v.part(i) for i, v in enumerate(legacy_parts(
            self.code, self.duration_minutes, self.observation_minutes,
            self.duration_from_plan, self.resource_kinds, self.staff_needs, self.modality))]

    def _lay_out(self, values: tuple[PartValue, ...] | list[PartValue]) -> None:
        """Takes these (checked) parts and the fields that follow from them."""
        shapes = [v.part(i) for i, v in enumerate(values)]
        if [p.shape() for p in shapes] != [p.shape() for p in self.all_parts()] or \
                not self.parts:
            self.parts[:] = shapes
        self.duration_minutes = sum(v.minutes for v in values)
        trailing = 0
        for v in reversed(values):
            if v.kind not in AFTERCARE:
                break
            trailing += v.minutes
        self.observation_minutes = trailing
        self.duration_from_plan = any(v.length_from_plan for v in values)
        kinds = {k for v in values for k in v.resource_kinds}
        roles = {r for v in values for r in v.staff_roles}
        wanted = sorted([(RESOURCE, k) for k in kinds] + [(STAFF, r) for r in roles])
        if wanted != [(n.need_kind, n.code) for n in self.needs]:
            self.needs[:] = [Need(kind, code) for kind, code in wanted]

    def change(self, values: TypeChange, fields: set[str]) -> bool:
        """Takes the ``fields`` of ``values`` (checked first); True when anything changed.
        Existing appointments keep their times; new bookings and searches use the new
        values. Parts are set alone; a change of the length or need fields lays the parts
        out anew from them (legacy_parts)."""
        values.validate(fields)
        before = self._shape()
        if "parts" in fields:
            if "display_name" in fields:
                self.display_name = values.display_name
            if "required_certification" in fields:
                self.required_certification = values.required_certification
            self._lay_out(values.parts)
            return self._counted(before)
        old_parts = self.all_parts()
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
        if fields & LAYOUT:
            self._lay_out(legacy_parts(
                self.code, self.duration_minutes, self.observation_minutes,
                self.duration_from_plan, self.resource_kinds, self.staff_needs,
                self.modality, old_parts))
        return self._counted(before)

    def _counted(self, before: tuple) -> bool:
        if self._shape() == before:
            return False
        self.revision += 1
        return True

    def _shape(self) -> tuple:
        return (self.display_name, self.duration_minutes, self.observation_minutes,
                self.required_certification, self.duration_from_plan,
                tuple((n.need_kind, n.code) for n in self.needs),
                tuple(p.shape() for p in self.all_parts()))

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    def length(self, plan_minutes: int = 0) -> dt.timedelta:
        """The visit's length for a patient whose active plan gives ``plan_minutes``."""
        if self.parts:
            return dt.timedelta(minutes=sum(p.length(plan_minutes) for p in self.parts))
        if self.duration_from_plan and plan_minutes > 0:
            return dt.timedelta(minutes=plan_minutes + self.observation_minutes)
        return self.duration

    def staff_windows(self, start: dt.datetime, end: dt.datetime
                      ) -> dict[str, tuple[dt.datetime, dt.datetime]]:
        """When each staff need is needed in the visit [start, end): from the first part
        that needs it to the end of the last one (an RN through the infusion, not the
        recovery). The part taking the plan's length (else the last part) takes whatever
        the visit's length leaves to it. Empty for a type without stored parts: its staff
        are needed for the whole visit."""
        if not self.parts:
            return {}
        parts = sorted(self.parts, key=lambda p: p.position)
        stretch = next((p for p in parts if p.length_from_plan), parts[-1])
        fixed = sum(p.minutes for p in parts if p is not stretch)
        left = max(end - start - dt.timedelta(minutes=fixed), dt.timedelta(0))
        windows: dict[str, tuple[dt.datetime, dt.datetime]] = {}
        at = start
        for part in parts:
            finish = min(at + (left if part is stretch else
                               dt.timedelta(minutes=part.minutes)), end)
            if part is parts[-1]:
                finish = end
            for role in part.staff_roles:
                begin = windows[role][0] if role in windows else at
                windows[role] = (begin, finish)
            at = finish
        return windows

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
             "required_certification", "duration_from_plan", "resource_kinds", "staff_roles",
             "parts")
# What an empty update mask means: every field but the parts (as before there were parts).
UPDATABLE_BY_DEFAULT = UPDATABLE[:-1]
# The fields that follow from the parts: not set together with them.
LAYOUT = frozenset({"duration_minutes", "observation_minutes", "duration_from_plan",
                    "resource_kinds", "staff_roles"})
MODALITIES = ("", "IV_KETAMINE", "SPRAVATO", "TMS")
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
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
    parts: tuple[PartValue, ...] = ()

    def validate(self, fields: set[str]) -> None:
        if "parts" in fields:
            both = sorted(fields & LAYOUT)
            if both:
                raise errors.field("update_mask", f"parts are set alone: {', '.join(both)} "
                                   "follow from them")
            check_parts(self.parts)
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
                 known: tuple[str, ...], field_name: str = "") -> None:
    if name not in fields:
        return
    unknown = [v for v in values if v not in known]
    if unknown or len(set(values)) != len(values):
        raise errors.field(field_name or f"appointment_type.{name}",
                           f"each once, of {', '.join(known)}"
                           + (f"; not {unknown[0]!r}" if unknown else ""))


def dose_in_mg(dose_mcg: int | None) -> int | None:
    """Whole milligrams, rounded half up, as claim lines count them; None when unknown."""
    if not dose_mcg:
        return None
    return (dose_mcg + 500) // 1000
