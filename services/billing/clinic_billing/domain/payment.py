"""What patients pay and what the clinic forgives: payments at the desk, refunds of them,
write-offs with an approver, and suspense money applied by hand.

Each is a new ledger entry; nothing posted is edited. A patient's balance
(``patient_cents``) goes down with a payment and up with a refund; a write-off lowers
the side it names (the patient's or insurance's).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.model import EntryKind, LedgerEntry, Responsibility, sortable_id

MAX_CENTS = 10_000_000_00  # ten million dollars: beyond any one payment of a clinic
MAX_TEXT = 200


class PaymentMethod(enum.StrEnum):
    CARD = "CARD"
    CASH = "CASH"
    CHECK = "CHECK"


class PaymentKind(enum.StrEnum):
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


def checked_amount(cents: int, name: str = "amount_cents") -> int:
    if not 0 < cents <= MAX_CENTS:
        raise errors.field(name, f"must be between 1 and {MAX_CENTS} cents")
    return cents


def checked_text(value: str, name: str, *, required: bool) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise errors.field(name, "is required")
    if len(value) > MAX_TEXT:
        raise errors.field(name, f"takes at most {MAX_TEXT} characters")
    return value


@dataclass
class Payment:
    """A patient's payment (card, cash or check, with its reference), or a refund of one."""

    patient_id: str
    kind: PaymentKind
    method: PaymentMethod
    amount_cents: int
    reference: str
    location_id: str
    created_at: dt.datetime = field(kw_only=True)
    created_by: str = field(kw_only=True)
    refunds_payment_id: str | None = field(default=None, kw_only=True)
    reason: str = field(default="", kw_only=True)
    payment_id: str = field(default_factory=sortable_id, kw_only=True)

    @classmethod
    def receive(cls, patient_id: str, method: PaymentMethod | None, amount_cents: int,
                reference: str, location_id: str, *, actor: str, now: dt.datetime) -> Payment:
        if method is None:
            raise errors.field("payment.method", "is required: CARD, CASH or CHECK")
        reference = checked_text(reference, "payment.reference",
                                 required=method != PaymentMethod.CASH)
        return cls(patient_id, PaymentKind.PAYMENT, method,
                   checked_amount(amount_cents, "payment.amount_cents"), reference,
                   checked_text(location_id, "payment.location_id", required=False),
                   created_at=now, created_by=actor)

    def refund(self, amount_cents: int, reason: str, refunded_so_far: int, *, actor: str,
               now: dt.datetime) -> Payment:
        """A refund of this payment, at most what is left of it, by the same method."""
        if self.kind != PaymentKind.PAYMENT:
            raise errors.field("name", "names a refund; refund the payment")
        amount_cents = checked_amount(amount_cents)
        reason = checked_text(reason, "reason", required=True)
        left = self.amount_cents - refunded_so_far
        if amount_cents > left:
            raise errors.RefundExceedsPayment(self.payment_id, left)
        return Payment(self.patient_id, PaymentKind.REFUND, self.method, amount_cents,
                       self.reference, self.location_id, created_at=now, created_by=actor,
                       refunds_payment_id=self.payment_id, reason=reason)

    def ledger_entry(self) -> LedgerEntry:
        cents = -self.amount_cents if self.kind == PaymentKind.PAYMENT else self.amount_cents
        kind = EntryKind.PATIENT_PAYMENT if self.kind == PaymentKind.PAYMENT else \
            EntryKind.REFUND
        return LedgerEntry(patient_id=self.patient_id, charge_id=None, kind=kind,
                           patient_cents=cents, insurance_cents=0, posted_at=self.created_at,
                           payment_id=self.payment_id, reason=self.method.value)


@dataclass
class WriteOff:
    """An amount the clinic forgives, of the patient's or insurance's share, with the reason
    and the staff member who approved it (someone other than who records it)."""

    patient_id: str
    responsibility: Responsibility
    amount_cents: int
    reason: str
    approver_id: str
    claim_id: str | None
    created_at: dt.datetime = field(kw_only=True)
    created_by: str = field(kw_only=True)
    write_off_id: str = field(default_factory=sortable_id, kw_only=True)

    @classmethod
    def record(cls, patient_id: str, responsibility: Responsibility | None, amount_cents: int,
               reason: str, approver_id: str, claim_id: str | None, outstanding_cents: int, *,
               actor: str, now: dt.datetime) -> WriteOff:
        if responsibility is None:
            raise errors.field("responsibility", "is required: PATIENT or INSURANCE")
        amount_cents = checked_amount(amount_cents)
        reason = checked_text(reason, "reason", required=True)
        approver_id = checked_text(approver_id, "approver_staff_id", required=True)
        if approver_id == actor:
            raise errors.WriteOffNeedsAnotherApprover(actor)
        if amount_cents > outstanding_cents:
            raise errors.WriteOffExceedsBalance(amount_cents, outstanding_cents)
        return cls(patient_id, responsibility, amount_cents, reason, approver_id, claim_id,
                   created_at=now, created_by=actor)

    def ledger_entry(self, charge_id: str | None) -> LedgerEntry:
        patient = self.responsibility == Responsibility.PATIENT
        return LedgerEntry(patient_id=self.patient_id, charge_id=charge_id,
                           kind=EntryKind.WRITE_OFF,
                           patient_cents=-self.amount_cents if patient else 0,
                           insurance_cents=0 if patient else -self.amount_cents,
                           posted_at=self.created_at, claim_id=self.claim_id,
                           write_off_id=self.write_off_id, reason=self.reason[:64])
