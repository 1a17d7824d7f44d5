"""Remittances (X12 835) as billing reads them, and what posting one claim of it does.

An 835 answers claims: per claim (CLP) what the payer paid, what the patient owes and
why the rest was adjusted (CAS: group and CARC reason), per service line (SVC) the
same, and provider-level adjustments (PLB) that change the deposit. Posting appends
ledger entries only: a payment and each adjustment lower what insurance owes; patient
responsibility (group PR) moves it to the patient; a reversal (CLP02 = 22) appends the
negation of its earlier posting. What cannot be matched goes to suspense, never lost.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, ClaimState
from clinic_billing.domain.model import EntryKind, LedgerEntry, sortable_id

DENIED, REVERSAL = "4", "22"
POSTABLE = {ClaimState.SUBMITTED, ClaimState.ACCEPTED, ClaimState.APPEALED}
PATIENT_GROUP = "PR"
PRIOR_PAYER = ("OA", "23")  # CARC 23: the impact of prior payers' adjudication


@dataclass(frozen=True)
class Adjustment:
    """One CAS reason: group (CO, CR, OA, PI, PR), CARC code and amount in cents."""

    group: str
    reason: str
    cents: int

    @property
    def code(self) -> str:
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True)
class ServicePayment:
    """One SVC line: what it answers (code, modifiers, our charge id from REF*6R) and how."""

    procedure_code: str
    modifiers: tuple[str, ...]
    charge_cents: int
    paid_cents: int
    charge_ref: str = ""
    allowed_cents: int | None = None
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP: CLP01 our claim id, CLP02 status, CLP03-05 charge, paid, patient share."""

    claim_ref: str
    status: str
    charge_cents: int
    paid_cents: int
    patient_cents: int
    payer_claim_number: str
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()
    services: tuple[ServicePayment, ...] = ()

    def all_adjustments(self) -> list[Adjustment]:
        return [*self.adjustments, *(a for s in self.services for a in s.adjustments)]

    def all_remarks(self) -> list[str]:
        return list(dict.fromkeys([*self.remarks, *(r for s in self.services for r in s.remarks)]))

    @property
    def is_denial(self) -> bool:
        """CLP02 = 4, or nothing paid with contractual (CO) adjustments."""
        return self.status == DENIED or (self.paid_cents == 0 and any(
            a.group == "CO" for a in self.all_adjustments()))

    @property
    def balances(self) -> bool:
        """CLP03 - CLP04 - every CAS amount = 0 (the payer's own arithmetic)."""
        return self.charge_cents - self.paid_cents - sum(
            a.cents for a in self.all_adjustments()) == 0


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB adjustment: reason (WO, FB, L6, ...), reference and amount (positive lowers
    the deposit)."""

    reason: str
    reference: str
    cents: int


@dataclass(frozen=True)
class Era:
    """An 835 transaction as read."""

    deposit_cents: int
    payment_method: str
    payment_date: dt.date | None
    trace_number: str
    trace_originator: str
    payer_id: str
    payer_name: str
    payee_name: str
    payee_id: str
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()

    @property
    def names_payer(self) -> bool:
        """Whether the file names its payer's id (REF*2U), not only the trace originator."""
        return self.payer_id != self.trace_originator


class Outcome(enum.StrEnum):
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    DENIED = "DENIED"
    REVERSED = "REVERSED"
    SUSPENDED = "SUSPENDED"


STATE_OF = {Outcome.PAID: ClaimState.PAID, Outcome.PARTIALLY_PAID: ClaimState.PARTIALLY_PAID,
            Outcome.DENIED: ClaimState.DENIED, Outcome.REVERSED: ClaimState.SUBMITTED}


@dataclass
class Remittance:
    """An imported 835: its money facts, file and hash (the same file twice is one import)."""

    content_sha256: str
    trace_number: str
    trace_originator: str
    payer_id: str
    payer_name: str
    payee_id: str
    deposit_cents: int
    payment_method: str
    payment_date: dt.date | None
    provider_adjustments: list[dict]
    content: str
    created_at: dt.datetime = field(kw_only=True)
    created_by: str = field(kw_only=True)
    remittance_id: str = field(default_factory=sortable_id, kw_only=True)

    @property
    def provider_adjustment_cents(self) -> int:
        return sum(int(a["cents"]) for a in self.provider_adjustments)


@dataclass
class RemittanceClaim:
    """How one CLP of a remittance was posted; a reversal names the posting it undoes."""

    remittance_id: str
    position: int
    claim_ref: str
    claim_id: str | None
    patient_id: str
    payer_id: str
    status: str
    charge_cents: int
    paid_cents: int
    patient_cents: int
    payer_claim_number: str
    outcome: str
    adjustments: list[dict]
    posted_at: dt.datetime = field(kw_only=True)
    reverses_id: int | None = None
    id: int | None = None


class SuspenseReason(enum.StrEnum):
    CLAIM_NOT_FOUND = "CLAIM_NOT_FOUND"
    CLAIM_NOT_POSTABLE = "CLAIM_NOT_POSTABLE"
    PAYER_MISMATCH = "PAYER_MISMATCH"
    LINE_NOT_MATCHED = "LINE_NOT_MATCHED"
    REVERSAL_WITHOUT_POSTING = "REVERSAL_WITHOUT_POSTING"


@dataclass
class SuspenseItem:
    """Money on a remittance billing could not post, with the reason; applied by hand."""

    remittance_id: str
    claim_ref: str
    reason: str
    amount_cents: int
    detail: str
    created_at: dt.datetime = field(kw_only=True)
    state: str = "OPEN"
    applied_to: str = ""
    applied_at: dt.datetime | None = None
    applied_by: str = ""
    item_id: str = field(default_factory=sortable_id, kw_only=True)

    def apply(self, patient_id: str, *, claim_id: str | None, charge_id: str | None,
              target: str, actor: str, now: dt.datetime) -> LedgerEntry:
        """Applies the money to a claim (it lowers what insurance owes on it) or, without a
        claim, to the patient (a credit); returns the entry."""
        if self.state != "OPEN":
            raise errors.SuspenseAlreadyApplied(self.item_id, self.applied_to)
        if self.amount_cents <= 0:
            raise errors.NothingToApply(self.item_id)
        self.state, self.applied_to, self.applied_at, self.applied_by = \
            "APPLIED", target, now, actor
        on_claim = claim_id is not None
        return LedgerEntry(patient_id=patient_id, charge_id=charge_id,
                           kind=EntryKind.SUSPENSE_APPLIED,
                           patient_cents=0 if on_claim else -self.amount_cents,
                           insurance_cents=-self.amount_cents if on_claim else 0,
                           posted_at=now, claim_id=claim_id, remittance_id=self.remittance_id,
                           reason=f"SUSPENSE {self.item_id}")


@dataclass
class Denial:
    """A denied claim on the work queue, with the payer's CARC and RARC codes."""

    claim_id: str
    patient_id: str
    payer_id: str
    remittance_id: str
    reason_codes: list[str]
    remark_codes: list[str]
    denied_cents: int
    created_at: dt.datetime = field(kw_only=True)
    state: str = "OPEN"
    denial_id: str = field(default_factory=sortable_id, kw_only=True)


@dataclass
class ClaimPosting:
    """What posting one CLP to its claim does: entries, suspense, the claim's outcome."""

    outcome: Outcome
    entries: list[LedgerEntry]
    suspense: list[tuple[SuspenseReason, int, str]]


def match_lines(services: tuple[ServicePayment, ...], charges: list[Charge]
                ) -> tuple[list[tuple[ServicePayment, Charge]], list[ServicePayment]]:
    """Each SVC line's charge: by REF*6R (our charge id) first, else by code and modifiers
    among the charges not yet matched. Returns the pairs and the lines left over."""
    free = list(charges)
    pairs, left = [], []
    for service in services:
        found = next((c for c in free if service.charge_ref and c.charge_id == service.charge_ref),
                     None) or next((c for c in free if c.procedure_code == service.procedure_code
                                    and tuple(c.modifiers) == service.modifiers), None)
        if found is None:
            left.append(service)
        else:
            free.remove(found)
            pairs.append((service, found))
    return pairs, left


def post_claim(payment: ClaimPayment, claim: Claim, charges: list[Charge], *,
               remittance_id: str, now: dt.datetime,
               expected_cents: int | None = None) -> ClaimPosting:
    """The entries of a processed or denied CLP (not a reversal) for ``claim``'s charges.

    A secondary claim expects ``expected_cents`` (what was moved to it from the patient);
    its payer states the primary's part as OA-23 (impact of prior payer adjudication),
    which the primary's posting already took off, so it is not posted again."""
    entries: list[LedgerEntry] = []
    suspense: list[tuple[SuspenseReason, int, str]] = []

    def post(charge: Charge, kind: EntryKind, cents: int, reason: str,
             patient_cents: int = 0) -> None:
        if cents or patient_cents:
            entries.append(LedgerEntry(
                patient_id=claim.patient_id, charge_id=charge.charge_id, kind=kind,
                patient_cents=patient_cents, insurance_cents=-cents, posted_at=now,
                claim_id=claim.claim_id, remittance_id=remittance_id, reason=reason))

    def adjust(charge: Charge, adjustments) -> None:
        for a in adjustments:
            if claim.is_secondary and (a.group, a.reason) == PRIOR_PAYER:
                continue
            if a.group == PATIENT_GROUP:
                post(charge, EntryKind.PATIENT_RESPONSIBILITY, a.cents, a.code,
                     patient_cents=a.cents)
            else:
                post(charge, EntryKind.ADJUSTMENT, a.cents, a.code)

    pairs, left = match_lines(payment.services, charges)
    first = charges[0]
    if not payment.services:
        post(first, EntryKind.PAYMENT, payment.paid_cents, "")
    for service, charge in pairs:
        post(charge, EntryKind.PAYMENT, service.paid_cents, "")
        adjust(charge, service.adjustments)
    adjust(first, payment.adjustments)
    for service in left:
        suspense.append((SuspenseReason.LINE_NOT_MATCHED, service.paid_cents,
                         f"line {':'.join([service.procedure_code, *service.modifiers])} "
                         f"of claim {payment.claim_ref} matches no charge"))
    answered = {c.charge_id for _, c in pairs}
    if payment.is_denial:
        outcome = Outcome.DENIED
    elif left or any(s.paid_cents == 0 for s, _ in pairs) or (
            payment.services and answered != {c.charge_id for c in charges}) or \
            sum(e.insurance_cents for e in entries) != -(
                claim.total_charge_cents if expected_cents is None else expected_cents):
        outcome = Outcome.PARTIALLY_PAID
    else:
        outcome = Outcome.PAID
    return ClaimPosting(outcome, entries, suspense)


def reversal_of(entries: list[LedgerEntry], *, remittance_id: str,
                now: dt.datetime, patient_id: str | None = None) -> list[LedgerEntry]:
    """New entries that undo ``entries`` (the ledger is never edited), on ``patient_id``'s
    account when given (the claim's owner now: a merged patient's survivor)."""
    return [LedgerEntry(patient_id=patient_id or e.patient_id, charge_id=e.charge_id, kind=e.kind,
                        patient_cents=-e.patient_cents, insurance_cents=-e.insurance_cents,
                        posted_at=now, claim_id=e.claim_id, remittance_id=remittance_id,
                        reason=f"REVERSAL {e.reason}".strip()) for e in entries]
