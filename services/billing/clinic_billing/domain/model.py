"""Billing's domain model: accounts, the coverage projection, charges and the ledger.

No framework imports. Money is integer cents. An account's balance is the sum of
its ledger entries, split into what the patient owes and what insurance is
expected to pay; entries are only ever appended (a void appends a reversal).
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
import time
import uuid
from dataclasses import dataclass, field

from clinic_billing.domain import errors

MAX_UNITS = 10_000


_tick_lock = threading.Lock()
_last = 0


def sortable_id() -> str:
    """An id that sorts in creation order within this process: a visit's lines list in order."""
    global _last
    with _tick_lock:
        _last = max(_last + 1, time.time_ns())
        tick = _last
    return f"{tick:016x}{uuid.uuid4().hex[:8]}"



class AccountState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    MERGED = "MERGED"


class Responsibility(enum.StrEnum):
    PATIENT = "PATIENT"
    INSURANCE = "INSURANCE"


class ChargeSource(enum.StrEnum):
    VISIT = "VISIT"
    NO_SHOW_FEE = "NO_SHOW_FEE"
    LATE_CANCEL_FEE = "LATE_CANCEL_FEE"
    MANUAL = "MANUAL"


class ChargeState(enum.StrEnum):
    POSTED = "POSTED"
    VOIDED = "VOIDED"


class EntryKind(enum.StrEnum):
    """Ledger entry kinds: a charge and its void; from remittances a payment, an adjustment
    (CO, CR, OA, PI) and patient responsibility (PR, moved from insurance to the patient);
    from staff a patient's payment, a refund of one, a write-off and suspense money applied."""

    CHARGE = "CHARGE"
    VOID = "VOID"
    PAYMENT = "PAYMENT"
    ADJUSTMENT = "ADJUSTMENT"
    PATIENT_RESPONSIBILITY = "PATIENT_RESP"
    PATIENT_PAYMENT = "PATIENT_PAYMENT"
    REFUND = "REFUND"
    WRITE_OFF = "WRITE_OFF"
    SUSPENSE_APPLIED = "SUSPENSE_APPLIED"
    # The primary's patient responsibility expected from the secondary payer instead (and
    # back, when the secondary claim is voided).
    COB_TRANSFER = "COB_TRANSFER"
    # A merge: a merged account's open amount taken to zero and the same added to the
    # surviving account, a pair per charge (or claim, or none) and responsibility.
    MERGE_TRANSFER = "MERGE_TRANSFER"


@dataclass
class Account:
    """A patient's account. Opened by whichever event about the patient arrives first."""

    patient_id: str
    state: AccountState = AccountState.ACTIVE
    merged_into: str | None = None
    registered: bool = False
    preferred_location_id: str = ""
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)

    @property
    def is_merged(self) -> bool:
        return self.state == AccountState.MERGED

    def mark_registered(self, preferred_location_id: str, now: dt.datetime) -> None:
        self.registered = True
        self.preferred_location_id = preferred_location_id
        self.updated_at = now

    def merge_into(self, survivor_id: str, now: dt.datetime) -> None:
        if survivor_id == self.patient_id:
            raise errors.InvalidMerge(self.patient_id, survivor_id, "it is the same patient")
        self.state = AccountState.MERGED
        self.merged_into = survivor_id
        self.updated_at = now

    def ensure_open(self) -> None:
        """Staff post to the surviving account, never to one merged away."""
        if self.is_merged:
            raise errors.AccountMerged(self.patient_id, self.merged_into or "")


@dataclass(frozen=True)
class Balance:
    patient_cents: int = 0
    insurance_cents: int = 0

    @classmethod
    def of(cls, entries: list[LedgerEntry]) -> Balance:
        return cls(sum(e.patient_cents for e in entries), sum(e.insurance_cents for e in entries))


@dataclass
class LedgerEntry:
    """One movement on an account, split between the patient and insurance."""

    patient_id: str
    charge_id: str
    kind: EntryKind
    patient_cents: int
    insurance_cents: int
    posted_at: dt.datetime = field(kw_only=True)
    entry_id: int | None = None
    # Where a remittance's entry comes from: the claim, the remittance, the CAS code.
    claim_id: str | None = field(default=None, kw_only=True)
    remittance_id: str | None = field(default=None, kw_only=True)
    reason: str = field(default="", kw_only=True)
    payment_id: str | None = field(default=None, kw_only=True)
    write_off_id: str | None = field(default=None, kw_only=True)
    counterpart_patient_id: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class OpenAmount:
    """What an account's entries naming one charge and claim (either may be none) add up
    to, per responsibility."""

    charge_id: str | None
    claim_id: str | None
    patient_cents: int
    insurance_cents: int


def merge_transfers(merged_id: str, survivor_id: str, merge_id: str,
                    open_amounts: list[OpenAmount], now: dt.datetime) -> list[LedgerEntry]:
    """The entries that move a merged account's open amounts to the survivor: for each
    charge (claim, or none) and responsibility with an amount, one entry taking it off the
    merged account and one adding it to the survivor, both naming the merge (``reason``)
    and the other account. The merged account's own entries are never edited."""
    if merged_id == survivor_id:
        raise errors.InvalidMerge(merged_id, survivor_id, "it is the same patient")
    entries = []
    for amount in open_amounts:
        for patient, insurance in ((amount.patient_cents, 0), (0, amount.insurance_cents)):
            if not patient and not insurance:
                continue
            for owner, other, sign in ((merged_id, survivor_id, -1), (survivor_id, merged_id, 1)):
                entries.append(LedgerEntry(
                    patient_id=owner, charge_id=amount.charge_id,
                    kind=EntryKind.MERGE_TRANSFER, patient_cents=sign * patient,
                    insurance_cents=sign * insurance, posted_at=now, claim_id=amount.claim_id,
                    reason=merge_id[:64], counterpart_patient_id=other))
    return entries


@dataclass(frozen=True)
class DrugDetail:
    """What a drug line's claim needs: the drug's name, its NDC (11 digits, 5-4-2), the
    NDC unit of measure (ML, UN or MG) and the quantity given in it, as a decimal."""

    name: str
    ndc: str
    unit_of_measure: str
    quantity: str


@dataclass(frozen=True)
class LineItem:
    """What is charged, before pricing: a service line of a visit or a manual charge."""

    procedure_code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    diagnosis_codes: tuple[str, ...] = ()
    drug: DrugDetail | None = None

    def checked(self, field_prefix: str) -> LineItem:
        code = self.procedure_code.strip().upper()
        if not code:
            raise errors.field(f"{field_prefix}.procedure_code", "is required")
        if not 0 <= self.units <= MAX_UNITS:
            raise errors.field(f"{field_prefix}.units", f"must be between 0 and {MAX_UNITS}")
        if len(self.modifiers) > 4:
            raise errors.field(f"{field_prefix}.modifiers", "takes at most four modifiers")
        return LineItem(code, self.units, tuple(self.modifiers), tuple(self.diagnosis_codes),
                        self.drug)
