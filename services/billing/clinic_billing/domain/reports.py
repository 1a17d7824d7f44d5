"""The billing team's figures, each computed from the append-only ledger (and the records
its entries name): nothing here is stored, so every figure can be produced again.

Money is integer cents throughout.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from clinic_billing.domain.model import EntryKind, LedgerEntry

BUCKETS = ("0-30", "31-60", "61-90", "90+")


def bucket(service_date: dt.date, as_of: dt.date) -> str:
    """The AR age bucket of a date of service on ``as_of``."""
    days = (as_of - service_date).days
    return BUCKETS[0] if days <= 30 else BUCKETS[1] if days <= 60 else \
        BUCKETS[2] if days <= 90 else BUCKETS[3]


@dataclass(frozen=True)
class RemittanceReconciliation:
    """BPR02 against what was posted: deposit = posted payments - PLB, flagged when not."""

    deposit_cents: int
    posted_payment_cents: int
    provider_adjustment_cents: int
    suspense_cents: int
    unbalanced_claims: tuple[str, ...]  # CLP01 of claims whose CLP03 - CLP04 - CAS != 0

    @property
    def difference_cents(self) -> int:
        return self.deposit_cents - (self.posted_payment_cents - self.provider_adjustment_cents)

    @property
    def balanced(self) -> bool:
        return self.difference_cents == 0 and not self.unbalanced_claims


def posted_payments(entries: list[LedgerEntry]) -> int:
    """What a remittance's entries paid (payments and their reversals), as a positive amount."""
    return -sum(e.insurance_cents for e in entries if e.kind == EntryKind.PAYMENT)


@dataclass
class ClaimBalance:
    """charge - paid - patient responsibility - adjustments - write-offs = open, per claim;
    and what the payer allowed (paid + patient share) against the contracted amount."""

    claim_id: str
    patient_id: str
    payer_id: str
    service_date: dt.date
    state: str
    charge_cents: int
    contracted_cents: int
    paid_cents: int = 0
    patient_responsibility_cents: int = 0
    adjustment_cents: int = 0
    write_off_cents: int = 0

    @property
    def open_cents(self) -> int:
        return (self.charge_cents - self.paid_cents - self.patient_responsibility_cents
                - self.adjustment_cents - self.write_off_cents)

    @property
    def variance_cents(self) -> int:
        """Allowed by the payer (paid + patient share) less the contracted amount."""
        return self.paid_cents + self.patient_responsibility_cents - self.contracted_cents

    def take(self, entry: LedgerEntry) -> None:
        kind, cents = entry.kind, -entry.insurance_cents
        if kind in (EntryKind.PAYMENT, EntryKind.SUSPENSE_APPLIED):
            self.paid_cents += cents
        elif kind == EntryKind.PATIENT_RESPONSIBILITY:
            self.patient_responsibility_cents += cents
        elif kind == EntryKind.ADJUSTMENT:
            self.adjustment_cents += cents
        elif kind == EntryKind.WRITE_OFF:
            self.write_off_cents += cents


@dataclass
class Aging:
    """Open balances by age of the date of service, per payer (insurance) and for patients."""

    payers: dict[str, dict[str, int]] = field(default_factory=dict)
    patients: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    unapplied_patient_credit_cents: int = 0


def aging(open_by_charge: list[tuple[str, dt.date, int, int]],
          unapplied_patient_cents: int, as_of: dt.date) -> Aging:
    """``open_by_charge``: (payer id, date of service, patient cents, insurance cents) of each
    charge's entries; ``unapplied_patient_cents``: patient entries tied to no charge."""
    result = Aging()
    for payer_id, day, patient, insurance in open_by_charge:
        age = bucket(day, as_of)
        if insurance:
            row = result.payers.setdefault(payer_id or "-", dict.fromkeys(BUCKETS, 0))
            row[age] += insurance
        result.patients[age] += patient
    result.unapplied_patient_credit_cents = unapplied_patient_cents
    return result


def denial_summary(denials: list[tuple[str, list[str], int]]) -> list[tuple[str, str, int, int]]:
    """(payer, reason code, count, denied cents) from (payer, reason codes, cents) of each
    denial; a denial with several reasons counts under each."""
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for payer_id, codes, cents in denials:
        for code in codes or ["-"]:
            rows[(payer_id, code)][0] += 1
            rows[(payer_id, code)][1] += cents
    return sorted((p, c, n, cents) for (p, c), (n, cents) in rows.items())
