"""Remittances: importing an 835 (posting it claim by claim), and reading what was posted.

One import is one transaction: the whole file is posted or, refused, nothing of it.
The same file again (by its SHA-256) changes nothing and says so; another file with
the same payer trace number (TRN) is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.adapters import x12_835
from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, ClaimState
from clinic_billing.domain.model import Balance, EntryKind, LedgerEntry
from clinic_billing.domain.remittance import (
    POSTABLE,
    REVERSAL,
    STATE_OF,
    ClaimPayment,
    Denial,
    Era,
    Outcome,
    Remittance,
    RemittanceClaim,
    SuspenseItem,
    SuspenseReason,
    post_claim,
    reversal_of,
)
from clinic_billing.service_layer import messages
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]
AGAIN = ":again"  # a result ending so is a file imported before
SETTLED = {ClaimState.PAID, ClaimState.PARTIALLY_PAID, ClaimState.DENIED}
POST_CHUNK = 500  # claims of a file read, posted and written at a time


@dataclass(frozen=True)
class ImportRemittance:
    content: bytes
    key: RequestKey = NO_KEY


def import_remittance(cmd: ImportRemittance, runner: Billing) -> tuple[str, bool]:
    """Posts the 835 in ``cmd.content``; returns its remittance id and whether the same
    file had been imported before (then nothing changed)."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        if not cmd.content:
            raise errors.field("content", "is required: the 835 file")
        sha256 = hashlib.sha256(cmd.content).hexdigest()
        earlier = uow.remittances.by_hash(sha256)
        if earlier is not None:
            return earlier.remittance_id + AGAIN
        try:
            text = cmd.content.decode("ascii")
        except UnicodeDecodeError as exc:
            raise errors.MalformedX12("ISA", 1, f"byte {exc.start} is not ASCII", 1) from None
        era = x12_835.read(text)
        same_trace = uow.remittances.by_trace(era.trace_originator, era.trace_number)
        if same_trace is not None:
            raise errors.TraceAlreadyImported(era.trace_number, same_trace.remittance_id)
        remittance = _remittance(era, sha256, text, c)
        uow.remittances.add(remittance)
        # The file in chunks of POST_CHUNK claims: each chunk's claims (locked) and their
        # charges are read in a query or two, its postings' rows written together; memory
        # stays bounded by the chunk, not the file.
        patients: set[str] = set()
        writes = _Writes()
        for start in range(0, len(era.claims), POST_CHUNK):
            chunk = era.claims[start:start + POST_CHUNK]
            claims = uow.claims.get_many([p.claim_ref[:32] for p in chunk if p.claim_ref],
                                         for_update=True)
            charges = uow.charges.get_many([i for claim in claims.values()
                                            for i in claim.charge_ids])
            with uow.deferred_writes():
                for position, payment in enumerate(chunk, start=start + 1):
                    claim = claims.get(payment.claim_ref[:32]) if payment.claim_ref else None
                    patients |= _post(uow, writes, remittance, position, payment, era, c,
                                      claim, charges)
            writes.write(uow)
        balances = uow.ledger.balances(sorted(patients))
        for patient_id in sorted(patients):
            uow.emit(messages.balance_changed(patient_id, balances.get(patient_id, Balance()),
                                              c.now), key=patient_id)
        return remittance.remittance_id

    result = runner.change("ImportRemittance", cmd.key, action)
    return result.removesuffix(AGAIN), result.endswith(AGAIN)


@dataclass
class _Writes:
    """The postings' rows, inserted together (one statement per table and chunk)."""

    claims: list[RemittanceClaim] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)

    def write(self, uow: BillingUnitOfWork) -> None:
        uow.flush()  # the remittance first: its rows name it
        uow.remittances.add_claims(self.claims)
        uow.ledger.add_all(self.entries)
        self.claims, self.entries = [], []


def _remittance(era: Era, sha256: str, text: str, c: Change) -> Remittance:
    return Remittance(
        content_sha256=sha256, trace_number=era.trace_number[:64],
        trace_originator=era.trace_originator[:64], payer_id=era.payer_id[:64],
        payer_name=era.payer_name[:200], payee_id=era.payee_id[:64],
        deposit_cents=era.deposit_cents, payment_method=era.payment_method[:8],
        payment_date=era.payment_date,
        provider_adjustments=[asdict(a) for a in era.provider_adjustments], content=text,
        created_at=c.now, created_by=c.actor)


def _post(uow: BillingUnitOfWork, writes: _Writes, remittance: Remittance, position: int,
          payment: ClaimPayment, era: Era, c: Change, claim: Claim | None,
          charges_by_id: dict[str, Charge]) -> set[str]:
    """Posts one CLP to ``claim`` (None: CLP01 names no claim of ours); returns the
    patients whose balances changed."""
    record = RemittanceClaim(
        remittance_id=remittance.remittance_id, position=position,
        claim_ref=payment.claim_ref[:64], claim_id=claim.claim_id if claim else None,
        patient_id=claim.patient_id if claim else "", payer_id=era.payer_id[:64],
        status=payment.status[:4], charge_cents=payment.charge_cents,
        paid_cents=payment.paid_cents, patient_cents=payment.patient_cents,
        payer_claim_number=payment.payer_claim_number[:64], outcome=Outcome.SUSPENDED,
        adjustments=[asdict(a) for a in payment.all_adjustments()], posted_at=c.now)

    def suspend(reason: SuspenseReason, cents: int, detail: str) -> set[str]:
        writes.claims.append(record)
        uow.remittances.add_suspense(SuspenseItem(
            remittance_id=remittance.remittance_id, claim_ref=payment.claim_ref[:64],
            reason=reason, amount_cents=cents, detail=detail, created_at=c.now))
        return set()

    if claim is None:
        return suspend(SuspenseReason.CLAIM_NOT_FOUND, payment.paid_cents,
                       f"CLP01 {payment.claim_ref!r} names no claim of ours")
    c.concerns(claim.patient_id, claim.claim_id)
    if era.names_payer and era.payer_id != claim.payer_id:
        return suspend(SuspenseReason.PAYER_MISMATCH, payment.paid_cents,
                       f"claim {claim.claim_id!r} was billed to {claim.payer_id!r}, not to "
                       f"{era.payer_id!r}")
    if payment.status == REVERSAL:
        return _reverse(uow, writes, remittance, record, claim, payment, c, suspend)
    if claim.state not in POSTABLE:
        return suspend(SuspenseReason.CLAIM_NOT_POSTABLE, payment.paid_cents,
                       f"claim {claim.claim_id!r} is {claim.state}; it takes no payment "
                       "until a reversal or an appeal")
    charges = [charges_by_id[i] for i in claim.charge_ids if i in charges_by_id]
    expected = sum(e.insurance_cents for e in uow.ledger.of_claim(claim.claim_id)
                   if e.kind == EntryKind.COB_TRANSFER) if claim.is_secondary else None
    posting = post_claim(payment, claim, charges, remittance_id=remittance.remittance_id,
                         now=c.now, expected_cents=expected)
    record.outcome = posting.outcome
    writes.claims.append(record)
    writes.entries += posting.entries
    for reason, cents, detail in posting.suspense:
        uow.remittances.add_suspense(SuspenseItem(
            remittance_id=remittance.remittance_id, claim_ref=payment.claim_ref[:64],
            reason=reason, amount_cents=cents, detail=detail, created_at=c.now))
    if posting.outcome == Outcome.DENIED:
        uow.remittances.add_denial(Denial(
            claim_id=claim.claim_id, patient_id=claim.patient_id, payer_id=claim.payer_id,
            remittance_id=remittance.remittance_id,
            reason_codes=list(dict.fromkeys(a.code for a in payment.all_adjustments())),
            remark_codes=payment.all_remarks(), denied_cents=payment.charge_cents,
            created_at=c.now))
    uow.claims.add_transition(claim.settle(STATE_OF[posting.outcome], remittance.remittance_id,
                                           actor=c.actor, now=c.now))
    return {claim.patient_id}


def _reverse(uow, writes, remittance, record, claim, payment, c, suspend) -> set[str]:
    writes.write(uow)  # the postings before it in this file count (paid, then reversed)
    earlier = uow.remittances.standing_posting(claim.claim_id)
    if earlier is None or claim.state not in SETTLED:
        return suspend(SuspenseReason.REVERSAL_WITHOUT_POSTING, payment.paid_cents,
                       f"claim {claim.claim_id!r} has no posting to reverse")
    record.outcome, record.reverses_id = Outcome.REVERSED, earlier.id
    writes.claims.append(record)
    writes.entries += reversal_of(uow.ledger.of_remittance_claim(claim.claim_id,
                                                                 earlier.remittance_id),
                                  remittance_id=remittance.remittance_id, now=c.now,
                                  patient_id=claim.patient_id)
    for denial in uow.remittances.open_denials_of(claim.claim_id):
        denial.state = "REVERSED"
    uow.claims.add_transition(claim.settle(STATE_OF[Outcome.REVERSED], remittance.remittance_id,
                                           actor=c.actor, now=c.now))
    return {claim.patient_id}


@dataclass(frozen=True)
class RemittanceView:
    remittance: Remittance
    claims: list[RemittanceClaim]
    suspense: list[SuspenseItem]


def get_remittance(remittance_id: str, runner: Billing) -> RemittanceView:
    def query(uow: BillingUnitOfWork) -> RemittanceView:
        remittance = uow.remittances.get(remittance_id)
        if remittance is None:
            raise errors.RemittanceNotFound(remittance_id)
        return RemittanceView(remittance, uow.remittances.claims_of(remittance_id),
                              uow.remittances.suspense_of(remittance_id))

    return runner.read(query)


def list_remittances(runner: Billing, *, limit: int, after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.remittances.list(limit=limit, after=after))


def list_denials(runner: Billing, state: str, payer_id: str, *, limit: int,
                 after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.remittances.list_denials(state, payer_id, limit=limit,
                                                                after=after))


def list_suspense(runner: Billing, state: str, *, limit: int, after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.remittances.list_suspense(state, limit=limit,
                                                                 after=after))
