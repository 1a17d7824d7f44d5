"""Claims: one payer, one patient, one coverage and one date of service, built from charges.

A claim is made a draft, checked and made ready, then submitted in a batch (837P);
posting remittances (835) moves it on. A charge is on one claim at most while the claim
stands; a void frees its charges for another claim.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import asdict, dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import ChargeState, Responsibility, sortable_id

MAX_LINES = 50  # service lines an 837P claim may carry (loop 2400 repeats up to 50)


class ClaimState(enum.StrEnum):
    DRAFT = "DRAFT"
    READY = "READY"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    DENIED = "DENIED"
    APPEALED = "APPEALED"
    CLOSED = "CLOSED"
    VOID = "VOID"


# Where a claim may go from each state, by whom: staff (the methods named) or a remittance.
TRANSITIONS: dict[ClaimState, tuple[ClaimState, ...]] = {
    ClaimState.DRAFT: (ClaimState.READY, ClaimState.VOID),
    ClaimState.READY: (ClaimState.SUBMITTED, ClaimState.VOID),
    ClaimState.SUBMITTED: (ClaimState.ACCEPTED, ClaimState.PAID, ClaimState.PARTIALLY_PAID,
                           ClaimState.DENIED, ClaimState.CLOSED),
    ClaimState.ACCEPTED: (ClaimState.PAID, ClaimState.PARTIALLY_PAID, ClaimState.DENIED,
                          ClaimState.CLOSED),
    ClaimState.PAID: (ClaimState.CLOSED, ClaimState.SUBMITTED),
    ClaimState.PARTIALLY_PAID: (ClaimState.APPEALED, ClaimState.CLOSED, ClaimState.SUBMITTED),
    ClaimState.DENIED: (ClaimState.APPEALED, ClaimState.CLOSED, ClaimState.SUBMITTED),
    ClaimState.APPEALED: (ClaimState.PAID, ClaimState.PARTIALLY_PAID, ClaimState.DENIED,
                          ClaimState.CLOSED),
    ClaimState.CLOSED: (),
    ClaimState.VOID: (),
}
# A primary claim its payer answered: the secondary payer is billed after it.
ADJUDICATED = {ClaimState.PAID, ClaimState.PARTIALLY_PAID, ClaimState.DENIED}
MAX_NOTE = 1000
MAX_REFERENCE = 50  # a payer claim control number (REF02)


@dataclass
class ClaimTransition:
    """One step of a claim's life, appended and never changed: from and to which state, when,
    by whom, and what went with it (a reason or note, a reference, a date)."""

    claim_id: str
    from_state: str
    to_state: ClaimState
    occurred_at: dt.datetime
    actor: str
    note: str = ""
    reference: str = ""
    effective_date: dt.date | None = None
    transition_id: int | None = None


@dataclass
class Claim:
    patient_id: str
    coverage_id: str
    payer_id: str
    service_date: dt.date
    charge_ids: list[str]
    total_charge_cents: int
    total_allowed_cents: int
    state: ClaimState = ClaimState.DRAFT
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)
    updated_by: str = field(default="", kw_only=True)
    claim_id: str = field(default_factory=sortable_id, kw_only=True)
    subscriber: dict | None = field(default=None, kw_only=True)  # Subscriber, as stored
    void_reason: str = field(default="", kw_only=True)
    batch_id: str = field(default="", kw_only=True)
    # Its lines beyond their prior authorization: {"charge_id", "problem", "detail"} each.
    authorization_issues: list | None = field(default=None, kw_only=True)
    payer_claim_number: str = field(default="", kw_only=True)  # from the 277CA or the 835
    close_reason: str = field(default="", kw_only=True)
    # A secondary claim names its primary and carries the primary's decision (cob.py).
    primary_claim_id: str = field(default="", kw_only=True)
    cob: dict | None = field(default=None, kw_only=True)

    @classmethod
    def build(cls, patient_id: str, charges: list[Charge], *, actor: str,
              now: dt.datetime) -> Claim:
        """A draft claim of ``charges``, which must be standing insurance charges of one
        coverage and date of service (the caller checks they are on no other claim)."""
        if not charges:
            raise errors.field("charges", "name at least one charge")
        if len(charges) > MAX_LINES:
            raise errors.field("charges", f"a claim takes at most {MAX_LINES} lines")
        for charge in charges:
            if charge.state != ChargeState.POSTED:
                raise errors.ChargeNotClaimable(charge.charge_id, "it is voided")
            if charge.responsibility != Responsibility.INSURANCE:
                raise errors.ChargeNotClaimable(charge.charge_id, "the patient pays it")
        first = charges[0]
        for charge in charges[1:]:
            if (charge.coverage_id, charge.service_date) != (first.coverage_id, first.service_date):
                raise errors.ChargesNotOnOneClaim(first.charge_id, charge.charge_id)
        return cls(patient_id=patient_id, coverage_id=first.coverage_id, payer_id=first.payer_id,
                   service_date=first.service_date, charge_ids=[c.charge_id for c in charges],
                   total_charge_cents=sum(c.amount_cents for c in charges),
                   total_allowed_cents=sum(c.allowed_cents for c in charges),
                   created_at=now, updated_at=now, updated_by=actor,
                   authorization_issues=[
                       {"charge_id": c.charge_id, "problem": c.authorization_problem,
                        "detail": c.authorization_problem_detail}
                       for c in charges if c.authorization_problem])

    @property
    def is_secondary(self) -> bool:
        return bool(self.primary_claim_id)

    def secondary(self, coverage_id: str, payer_id: str, cob: dict, *, actor: str,
                  now: dt.datetime) -> Claim:
        """A draft claim of this claim's charges to the coverage that pays next, carrying
        the primary's decision; this claim must be a primary one its payer answered."""
        if self.is_secondary:
            raise errors.ClaimIsSecondary(self.claim_id, self.primary_claim_id)
        if self.state not in ADJUDICATED:
            raise errors.PrimaryNotAdjudicated(self.claim_id, self.state)
        return Claim(patient_id=self.patient_id, coverage_id=coverage_id, payer_id=payer_id,
                     service_date=self.service_date, charge_ids=list(self.charge_ids),
                     total_charge_cents=self.total_charge_cents, total_allowed_cents=0,
                     created_at=now, updated_at=now, updated_by=actor,
                     authorization_issues=self.authorization_issues,
                     primary_claim_id=self.claim_id, cob=cob)

    def created(self) -> ClaimTransition:
        """The first step of its history: made a draft."""
        return ClaimTransition(self.claim_id, "", ClaimState.DRAFT, self.created_at,
                               self.updated_by, reference=self.primary_claim_id)

    def mark_ready(self, subscriber: Subscriber, problems: list[ReadinessProblem], *,
                   actor: str, now: dt.datetime) -> ClaimTransition:
        """Makes a draft ready, unless a check found ``problems`` (the first is refused)."""
        self._expect({ClaimState.DRAFT}, ClaimState.READY)
        if problems:
            raise errors.ClaimNotReady(self.claim_id, problems[0].problem, problems[0].detail,
                                       problems[0].charge_id)
        self.subscriber = subscriber.as_stored()
        return self._touch(ClaimState.READY, actor, now)

    def void(self, reason: str, *, actor: str, now: dt.datetime) -> ClaimTransition:
        """Withdraws a claim not yet sent; a sent one is corrected through the payer."""
        reason = _note("reason", reason)
        self._expect({ClaimState.DRAFT, ClaimState.READY}, ClaimState.VOID)
        self.void_reason = reason
        return self._touch(ClaimState.VOID, actor, now, note=reason)

    def submit(self, batch_id: str, *, actor: str, now: dt.datetime) -> ClaimTransition:
        self._expect({ClaimState.READY}, ClaimState.SUBMITTED)
        self.batch_id = batch_id
        return self._touch(ClaimState.SUBMITTED, actor, now, reference=batch_id)

    def accept(self, payer_claim_number: str, accepted_on: dt.date, *, actor: str,
               now: dt.datetime) -> ClaimTransition:
        """The payer acknowledged the submitted claim (277CA), optionally with its own number."""
        number = payer_claim_number.strip()
        if len(number) > MAX_REFERENCE or any(c in number for c in "~*:^"):
            raise errors.field("payer_claim_number",
                               f"takes at most {MAX_REFERENCE} characters, none of ~ * : ^")
        self._expect({ClaimState.SUBMITTED}, ClaimState.ACCEPTED)
        if number:
            self.payer_claim_number = number
        return self._touch(ClaimState.ACCEPTED, actor, now, reference=number,
                           effective_date=accepted_on)

    def appeal(self, note: str, appealed_on: dt.date, *, actor: str,
               now: dt.datetime) -> ClaimTransition:
        """The billing team appealed a denial or an underpayment: the note says on what grounds."""
        note = _note("note", note)
        self._expect({ClaimState.DENIED, ClaimState.PARTIALLY_PAID}, ClaimState.APPEALED)
        return self._touch(ClaimState.APPEALED, actor, now, note=note, effective_date=appealed_on)

    def close(self, reason: str, *, actor: str, now: dt.datetime) -> ClaimTransition:
        """Nothing more is expected on a sent claim: settled, written off, or the appeal over."""
        reason = _note("reason", reason)
        self._expect(set(s for s, to in TRANSITIONS.items() if ClaimState.CLOSED in to),
                     ClaimState.CLOSED)
        self.close_reason = reason
        return self._touch(ClaimState.CLOSED, actor, now, note=reason)

    def settle(self, state: ClaimState, remittance_id: str, *, actor: str,
               now: dt.datetime) -> ClaimTransition:
        """Takes the state a remittance gives it (paid, partially paid, denied), or back to
        submitted when the payer reversed its answer (the remittance checked it may)."""
        return self._touch(state, actor, now, reference=remittance_id)

    def subscriber_facts(self) -> Subscriber:
        if not self.subscriber:
            raise errors.ClaimStateConflict(self.claim_id, self.state, ClaimState.SUBMITTED)
        facts = dict(self.subscriber)
        facts["birth_date"] = dt.date.fromisoformat(facts["birth_date"])
        return Subscriber(**facts)

    def _expect(self, allowed: set[ClaimState], target: ClaimState) -> None:
        if self.state not in allowed:
            raise errors.ClaimStateConflict(self.claim_id, self.state, target,
                                            [str(s) for s in TRANSITIONS[self.state]])

    def _touch(self, state: ClaimState, actor: str, now: dt.datetime, *, note: str = "",
               reference: str = "", effective_date: dt.date | None = None) -> ClaimTransition:
        step = ClaimTransition(self.claim_id, str(self.state), state, now, actor, note=note,
                               reference=reference, effective_date=effective_date)
        self.state, self.updated_by, self.updated_at = state, actor, now
        return step


def _note(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise errors.field(name, "is required")
    if len(value) > MAX_NOTE:
        raise errors.field(name, f"takes at most {MAX_NOTE} characters")
    return value


_STATE = re.compile(r"^[A-Z]{2}$")
_ZIP = re.compile(r"^\d{5}(\d{4})?$")
_NAME_MAX = 60  # NM103 takes 60 characters


@dataclass(frozen=True)
class Subscriber:
    """The insured as the card names them (837P loop 2010BA)."""

    last_name: str
    first_name: str
    birth_date: dt.date
    gender: str
    address_line: str
    city: str
    state: str
    postal_code: str

    def checked(self, today: dt.date) -> Subscriber:
        def text(name: str, value: str, most: int) -> str:
            value = " ".join(value.split())
            if not value:
                raise errors.field(f"subscriber.{name}", "is required")
            if len(value) > most or "~" in value or "*" in value or ":" in value or "^" in value:
                raise errors.field(f"subscriber.{name}",
                                   f"takes at most {most} characters and none of ~ * : ^")
            return value
        if self.birth_date > today:
            raise errors.field("subscriber.birth_date", "is in the future")
        if self.gender not in ("F", "M", "U"):
            raise errors.field("subscriber.gender", "must be F, M or U")
        if not _STATE.match(self.state):
            raise errors.field("subscriber.state", "must be a two-letter state code")
        postal = self.postal_code.replace("-", "")
        if not _ZIP.match(postal):
            raise errors.field("subscriber.postal_code", "must be 5 or 9 digits")
        return Subscriber(text("last_name", self.last_name, _NAME_MAX),
                          text("first_name", self.first_name, 35), self.birth_date, self.gender,
                          text("address_line", self.address_line, 55),
                          text("city", self.city, 30), self.state, postal)

    def as_stored(self) -> dict:
        facts = asdict(self)
        facts["birth_date"] = self.birth_date.isoformat()
        return facts


@dataclass(frozen=True)
class ReadinessProblem:
    """Why a claim cannot go out yet: a code for machines, a detail for people."""

    problem: str
    detail: str
    charge_id: str = ""


MAX_DIAGNOSES = 12  # HI carries 12 diagnoses
MAX_POINTERS = 4  # SV107 points at 4 of them


def readiness_problems(claim: Claim, charges: list[Charge], *, coverage_active: bool,
                       payer_known: bool, provider_complete: bool,
                       rendering_npi: dict[str, str]) -> list[ReadinessProblem]:
    """Everything that keeps ``claim`` from a clean 837P, in the order the billing team fixes it."""
    found = []
    if not provider_complete:
        found.append(ReadinessProblem("BILLING_PROVIDER_INCOMPLETE",
                                      "the billing provider's name, NPI, tax id and address "
                                      "(BILLING_PROVIDER_*) are needed"))
    if not payer_known:
        found.append(ReadinessProblem("PAYER_NOT_KEPT", f"payer {claim.payer_id!r} is not kept"))
    if not coverage_active:
        found.append(ReadinessProblem("COVERAGE_NOT_ACTIVE",
                                      f"coverage {claim.coverage_id!r} is not in force on "
                                      f"{claim.service_date}"))
    diagnoses: list[str] = []
    for charge in charges:
        if charge.state != ChargeState.POSTED:
            found.append(ReadinessProblem("CHARGE_VOIDED", "a charge was voided",
                                          charge.charge_id))
        if not charge.diagnosis_codes:
            found.append(ReadinessProblem("DIAGNOSIS_MISSING", "a line points at no diagnosis",
                                          charge.charge_id))
        if charge.ndc and (charge.units <= 0 or not charge.ndc_quantity):
            found.append(ReadinessProblem("DRUG_DOSE_MISSING",
                                          f"drug line {charge.procedure_code} has no dose: no "
                                          "units or NDC quantity (LIN/CTP)", charge.charge_id))
        if len(set(charge.diagnosis_codes)) > MAX_POINTERS:
            found.append(ReadinessProblem("TOO_MANY_DIAGNOSES",
                                          f"a line points at more than {MAX_POINTERS} diagnoses",
                                          charge.charge_id))
        if not rendering_npi.get(charge.rendering_provider_id):
            found.append(ReadinessProblem("RENDERING_NPI_MISSING",
                                          f"no NPI for rendering provider "
                                          f"{charge.rendering_provider_id!r}", charge.charge_id))
        diagnoses += [d for d in charge.diagnosis_codes if d not in diagnoses]
    if len(diagnoses) > MAX_DIAGNOSES:
        found.append(ReadinessProblem("TOO_MANY_DIAGNOSES",
                                      f"the claim's lines name more than {MAX_DIAGNOSES} "
                                      "diagnoses"))
    return found


@dataclass
class ClaimLine:
    """A charge on a claim; a charge has one line at most (the table's key)."""

    charge_id: str
    claim_id: str
    line_number: int


@dataclass
class ClaimBatch:
    """Claims sent together: one 837P interchange, whose ISA13 and GS06 are its control number."""

    control_number: int
    claim_ids: list[str]
    content: str
    created_at: dt.datetime = field(kw_only=True)
    created_by: str = field(kw_only=True)
    batch_id: str = field(default_factory=sortable_id, kw_only=True)
    billing_provider_version_id: str | None = field(default=None, kw_only=True)  # None: settings

    MAX_CONTROL_NUMBER = 999_999_999  # ISA13 is 9 digits

    @staticmethod
    def next_control_number(last: int | None) -> int:
        number = (last or 0) + 1
        if number > ClaimBatch.MAX_CONTROL_NUMBER:
            raise errors.ControlNumbersExhausted()
        return number
