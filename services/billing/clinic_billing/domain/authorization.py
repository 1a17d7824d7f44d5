"""Prior authorizations: a payer's leave to bill some units of some codes for one patient
over a range of dates of service, and the charges that burn them down.

A charge to insurance whose code an active authorization of its payer covers, dated in
the authorization's range, uses its units (zero units count as one service). A charge is
beyond the authorization when the payer requires one for the code and the patient has
none, when the units are used up, or when the patient's authorizations for the code do
not cover its date: it is posted all the same and flagged, for the billing team to decide.
A void gives the units back. Each charge uses an authorization once (the use's key is the
charge), however often the event that posted it is delivered.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from clinic_billing.domain import errors
from clinic_billing.domain.model import MAX_UNITS, sortable_id

CODE = re.compile(r"[A-Z0-9]{5}")  # a CPT or HCPCS level II code
NUMBER = re.compile(r"[!-~](?:[ -~]{0,48}[!-~])?")  # REF02 takes 1-50 characters
X12_DELIMITERS = "~*:^"
MAX_CODES = 20
MAX_NOTE = 500


F = TypeVar("F", bound="Flagged")


class AuthorizationState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    VOID = "VOID"


class AuthorizationProblem(enum.StrEnum):
    """Why a charge is beyond its prior authorization."""

    MISSING = "MISSING"
    EXHAUSTED = "EXHAUSTED"
    OUT_OF_RANGE = "OUT_OF_RANGE"


@dataclass
class PriorAuthorization:
    patient_id: str
    payer_id: str
    authorization_number: str
    procedure_codes: list[str]
    units_authorized: int
    start_date: dt.date
    end_date: dt.date
    units_used: int = 0
    state: AuthorizationState = AuthorizationState.ACTIVE
    note: str = ""
    void_reason: str = ""
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)
    updated_by: str = field(default="", kw_only=True)
    prior_authorization_id: str = field(default_factory=sortable_id, kw_only=True)
    # What the patient's upcoming bookings are expected to use of it (see domain.booking).
    units_scheduled: int = field(default=0, kw_only=True)

    @classmethod
    def create(cls, *, patient_id: str, payer_id: str, authorization_number: str,
               procedure_codes: list[str], units_authorized: int, start_date: dt.date | None,
               end_date: dt.date | None, note: str, actor: str,
               now: dt.datetime) -> PriorAuthorization:
        if not payer_id.strip():
            raise errors.field("prior_authorization.payer_id", "is required")
        if start_date is None:
            raise errors.field("prior_authorization.start_date", "is required")
        if end_date is None:
            raise errors.field("prior_authorization.end_date", "is required")
        auth = cls(patient_id=patient_id, payer_id=payer_id.strip(),
                   authorization_number=_number(authorization_number),
                   procedure_codes=_codes(procedure_codes), units_authorized=_units(units_authorized),
                   start_date=start_date, end_date=end_date, note=_note(note), created_at=now,
                   updated_at=now, updated_by=actor)
        auth._check_dates()
        return auth

    @property
    def units_remaining(self) -> int:
        """What is left; negative when charges went past the authorization."""
        return self.units_authorized - self.units_used

    @property
    def units_left_after_scheduled(self) -> int:
        return self.units_remaining - self.units_scheduled

    def covers(self, code: str) -> bool:
        return self.state == AuthorizationState.ACTIVE and code in self.procedure_codes

    def in_range(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date

    def change(self, *, authorization_number: str | None = None,
               procedure_codes: list[str] | None = None, units_authorized: int | None = None,
               start_date: dt.date | None | object = ..., end_date: dt.date | None | object = ...,
               note: str | None = None, actor: str, now: dt.datetime) -> None:
        """Changes the fields given (None, or ... for dates, leaves one as it is). The units
        are not lowered below what charges used; charges already posted keep their use."""
        self._expect_active()
        if authorization_number is not None:
            self.authorization_number = _number(authorization_number)
        if procedure_codes is not None:
            self.procedure_codes = _codes(procedure_codes)
        if units_authorized is not None:
            units = _units(units_authorized)
            if units < self.units_used and units < self.units_authorized:
                raise errors.AuthorizationUnitsBelowUsed(self.prior_authorization_id, units,
                                                         self.units_used)
            self.units_authorized = units
        for name, value in (("start_date", start_date), ("end_date", end_date)):
            if value is not ...:
                if value is None:
                    raise errors.field(f"prior_authorization.{name}", "is required")
                setattr(self, name, value)
        if note is not None:
            self.note = _note(note)
        self._check_dates()
        self.updated_at, self.updated_by = now, actor

    def void(self, reason: str, *, actor: str, now: dt.datetime) -> None:
        if not reason.strip():
            raise errors.field("reason", "is required")
        self._expect_active()
        self.state, self.void_reason = AuthorizationState.VOID, reason.strip()[:MAX_NOTE]
        self.updated_at, self.updated_by = now, actor

    def burn(self, units: int) -> None:
        self.units_used += units

    def give_back(self, units: int) -> None:
        self.units_used -= units

    def _expect_active(self) -> None:
        if self.state != AuthorizationState.ACTIVE:
            raise errors.AuthorizationVoid(self.prior_authorization_id)

    def _check_dates(self) -> None:
        if self.end_date < self.start_date:
            raise errors.field("prior_authorization.end_date", "is before start_date")


@dataclass
class AuthorizationUse:
    """The units one charge took from one authorization; released when the charge is voided."""

    charge_id: str
    prior_authorization_id: str
    units: int
    created_at: dt.datetime
    released_at: dt.datetime | None = None

    @property
    def released(self) -> bool:
        return self.released_at is not None


@dataclass(frozen=True)
class AuthorizationCheck:
    """What a charge does to the patient's authorizations: the one it uses (if any), how many
    units, and why it is beyond it (None when it is not)."""

    authorization: PriorAuthorization | None = None
    units: int = 0
    problem: AuthorizationProblem | None = None
    detail: str = ""


def units_counted(units: int) -> int:
    """Zero units mean one service (and a drug line without its dose)."""
    return max(units, 1)


def check_charge(authorizations: list[PriorAuthorization], *, procedure_code: str,
                 service_date: dt.date, units: int, required: bool) -> AuthorizationCheck:
    """Which of ``authorizations`` (the patient's, of the charge's payer) a charge uses.

    Among the active ones covering the code on the date of service, the first to end that
    has the units left; when none has, the one with the most left (the charge goes past it:
    EXHAUSTED). An authorization for the code on other dates only: OUT_OF_RANGE. None for
    the code where the payer ``required`` one: MISSING."""
    units = units_counted(units)
    covering = [a for a in authorizations if a.covers(procedure_code)]
    in_range = sorted((a for a in covering if a.in_range(service_date)),
                      key=lambda a: (a.end_date, a.prior_authorization_id))
    for auth in in_range:
        if auth.units_remaining >= units:
            return AuthorizationCheck(auth, units)
    if in_range:
        auth = max(in_range, key=lambda a: a.units_remaining)
        return AuthorizationCheck(auth, units, AuthorizationProblem.EXHAUSTED,
                                  f"authorization {auth.authorization_number} has "
                                  f"{max(auth.units_remaining, 0)} of {auth.units_authorized} "
                                  f"units left; the charge uses {units}")
    if covering:
        ranges = ", ".join(f"{a.authorization_number} {a.start_date}..{a.end_date}"
                           for a in covering)
        return AuthorizationCheck(problem=AuthorizationProblem.OUT_OF_RANGE,
                                  detail=f"{procedure_code} on {service_date} is outside the "
                                         f"authorized dates ({ranges})")
    if required:
        return AuthorizationCheck(problem=AuthorizationProblem.MISSING,
                                  detail=f"the payer requires a prior authorization for "
                                         f"{procedure_code} and the patient has none")
    return AuthorizationCheck()


class Flagged(Protocol):
    """A charge flagged beyond its authorization, as far as a retro authorization sees it."""

    procedure_code: str
    service_date: dt.date
    units: int
    prior_authorization_id: str


def retro_take(auth: PriorAuthorization, flagged: Sequence[F]) -> list[F]:
    """The flagged charges (in date order) that ``auth``, recorded or extended after they were
    posted, now takes: those of its codes and dates, as long as its units last. ``auth``
    burns their units. A charge that went past ``auth`` itself is counted in its units
    already: it is counted out first, and back in (still past it) when it does not fit."""
    if auth.state != AuthorizationState.ACTIVE:
        return []
    mine = auth.prior_authorization_id
    candidates = [c for c in flagged
                  if auth.covers(c.procedure_code) and auth.in_range(c.service_date)]
    for charge in candidates:
        if charge.prior_authorization_id == mine:
            auth.give_back(units_counted(charge.units))
    taken = []
    for charge in candidates:
        units = units_counted(charge.units)
        if auth.units_remaining >= units:
            auth.burn(units)
            taken.append(charge)
        elif charge.prior_authorization_id == mine:
            auth.burn(units)
    return taken


def _number(value: str) -> str:
    value = value.strip()
    if not NUMBER.fullmatch(value) or any(c in value for c in X12_DELIMITERS):
        raise errors.field("prior_authorization.authorization_number",
                           "is required: 1-50 printable characters, none of ~ * : ^")
    return value


def _codes(codes: list[str]) -> list[str]:
    cleaned = [c.strip().upper() for c in codes]
    if not cleaned:
        raise errors.field("prior_authorization.procedure_codes", "name at least one code")
    if len(cleaned) > MAX_CODES:
        raise errors.field("prior_authorization.procedure_codes",
                           f"take at most {MAX_CODES} codes")
    for index, code in enumerate(cleaned):
        if not CODE.fullmatch(code):
            raise errors.field(f"prior_authorization.procedure_codes[{index}]",
                               "is a 5-character CPT or HCPCS code")
    if len(set(cleaned)) != len(cleaned):
        raise errors.field("prior_authorization.procedure_codes", "name a code twice")
    return cleaned


def _units(units: int) -> int:
    if not 1 <= units <= MAX_UNITS:
        raise errors.field("prior_authorization.units_authorized",
                           f"must be 1 to {MAX_UNITS}")
    return units


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise errors.field("prior_authorization.note", f"takes at most {MAX_NOTE} characters")
    return note
