"""Payments at the desk, refunds, write-offs and suspense money applied: each one new
ledger entry (and its record), announced as the patient's new balance."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.domain import errors
from clinic_billing.domain.claim import Claim
from clinic_billing.domain.model import Account, Responsibility
from clinic_billing.domain.payment import Payment, PaymentMethod, WriteOff
from clinic_billing.service_layer.accounts import announce_balance
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


def _open_account(uow: BillingUnitOfWork, patient_id: str) -> Account:
    account = uow.accounts.get(patient_id, for_update=True)
    if account is None:
        raise errors.AccountNotFound(patient_id)
    account.ensure_open()
    return account


def _claim_of(uow: BillingUnitOfWork, patient_id: str, claim_id: str) -> Claim:
    claim = uow.claims.get(claim_id, for_update=True)
    if claim is None or claim.patient_id != patient_id:
        raise errors.ClaimNotFound(claim_id)
    return claim


def claim_outstanding(uow: BillingUnitOfWork, claim: Claim) -> tuple[int, int]:
    """(patient, insurance) still owed on a claim: its charges less what was posted to it."""
    entries = uow.ledger.of_claim(claim.claim_id)
    return (sum(e.patient_cents for e in entries),
            claim.total_charge_cents + sum(e.insurance_cents for e in entries))


@dataclass(frozen=True)
class RecordPayment:
    patient_id: str
    method: PaymentMethod | None
    amount_cents: int
    reference: str
    location_id: str
    key: RequestKey = NO_KEY


def record_payment(cmd: RecordPayment, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        account = _open_account(uow, cmd.patient_id)
        payment = Payment.receive(account.patient_id, cmd.method, cmd.amount_cents,
                                  cmd.reference, cmd.location_id, actor=c.actor, now=c.now)
        uow.payments.add(payment)
        uow.ledger.add(payment.ledger_entry())
        announce_balance(uow, account.patient_id, c.now)
        return payment.payment_id

    return runner.change("RecordPayment", cmd.key, action)


@dataclass(frozen=True)
class RefundPayment:
    patient_id: str
    payment_id: str
    amount_cents: int
    reason: str
    key: RequestKey = NO_KEY


def refund_payment(cmd: RefundPayment, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        _open_account(uow, cmd.patient_id)  # the lock serializes refunds of one account
        payment = uow.payments.get(cmd.payment_id)
        if payment is None or payment.patient_id != cmd.patient_id:
            raise errors.PaymentNotFound(cmd.payment_id)
        refund = payment.refund(cmd.amount_cents, cmd.reason,
                                uow.payments.refunded(payment.payment_id), actor=c.actor,
                                now=c.now)
        uow.payments.add(refund)
        uow.ledger.add(refund.ledger_entry())
        announce_balance(uow, cmd.patient_id, c.now)
        return refund.payment_id

    return runner.change("RefundPayment", cmd.key, action)


@dataclass(frozen=True)
class WriteOffBalance:
    patient_id: str
    responsibility: Responsibility | None
    amount_cents: int
    reason: str
    approver_id: str
    claim_id: str = ""
    key: RequestKey = NO_KEY


def write_off(cmd: WriteOffBalance, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        _open_account(uow, cmd.patient_id)
        charge_id = None
        if cmd.claim_id:
            claim = _claim_of(uow, cmd.patient_id, cmd.claim_id)
            patient, insurance = claim_outstanding(uow, claim)
            charge_id = claim.charge_ids[0]
        else:
            balance = uow.ledger.balance(cmd.patient_id)
            patient, insurance = balance.patient_cents, balance.insurance_cents
        outstanding = patient if cmd.responsibility == Responsibility.PATIENT else insurance
        entry = WriteOff.record(cmd.patient_id, cmd.responsibility, cmd.amount_cents,
                                cmd.reason, cmd.approver_id, cmd.claim_id or None,
                                max(outstanding, 0), actor=c.actor, now=c.now)
        uow.payments.add_write_off(entry)
        uow.ledger.add(entry.ledger_entry(charge_id))
        announce_balance(uow, cmd.patient_id, c.now)
        return entry.write_off_id

    return runner.change("WriteOff", cmd.key, action)


@dataclass(frozen=True)
class ApplySuspense:
    item_id: str
    patient_id: str
    claim_id: str = ""  # empty: to the patient's account as a credit
    key: RequestKey = NO_KEY


def apply_suspense(cmd: ApplySuspense, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        item = uow.remittances.get_suspense(cmd.item_id, for_update=True)
        if item is None:
            raise errors.SuspenseItemNotFound(cmd.item_id)
        account = _open_account(uow, cmd.patient_id)
        claim = _claim_of(uow, cmd.patient_id, cmd.claim_id) if cmd.claim_id else None
        target = f"accounts/{account.patient_id}" + (f"/claims/{claim.claim_id}" if claim
                                                     else "")
        uow.ledger.add(item.apply(account.patient_id, claim_id=claim.claim_id if claim else None,
                                  charge_id=claim.charge_ids[0] if claim else None,
                                  target=target, actor=c.actor, now=c.now))
        announce_balance(uow, account.patient_id, c.now)
        return item.item_id

    return runner.change("ApplySuspenseItem", cmd.key, action)


def get_payment(patient_id: str, payment_id: str, runner: Billing) -> Payment:
    def query(uow: BillingUnitOfWork) -> Payment:
        payment = uow.payments.get(payment_id)
        if payment is None or payment.patient_id != patient_id:
            raise errors.PaymentNotFound(payment_id)
        return payment

    return runner.read(query)


def get_write_off(write_off_id: str, runner: Billing) -> WriteOff:
    return runner.read(lambda uow: uow.payments.get_write_off(write_off_id))


def get_suspense(item_id: str, runner: Billing):
    return runner.read(lambda uow: uow.remittances.get_suspense(item_id))


def list_payments(patient_id: str, runner: Billing, *, limit: int,
                  after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.payments.list(patient_id, limit=limit, after=after))
