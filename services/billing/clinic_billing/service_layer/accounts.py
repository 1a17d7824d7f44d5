"""The account and coverage projection, fed by intake's events.

Handlers here work inside the consumer's unit of work and never commit: the
event processor records the event in the inbox and commits once.
Events from intake and scheduling arrive in any order, so an account is opened
by whichever event names the patient first.
"""

from __future__ import annotations

import datetime as dt

from clinic_billing.domain import errors
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import Account, merge_transfers
from clinic_billing.service_layer import messages
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


def open_account(uow: BillingUnitOfWork, patient_id: str, now: dt.datetime) -> Account:
    """The patient's account, locked for this transaction; opened if billing never heard of it."""
    if not patient_id:
        raise errors.field("patient_id", "is required")
    account = uow.accounts.get(patient_id, for_update=True)
    if account is None:
        account = Account(patient_id=patient_id, created_at=now, updated_at=now)
        uow.accounts.add(account)
    return account


def account_for_posting(uow: BillingUnitOfWork, patient_id: str, now: dt.datetime) -> Account:
    """The account that takes what is posted for a patient: a merged one's survivor."""
    account = open_account(uow, patient_id, now)
    seen = {account.patient_id}
    while account.is_merged:
        account = open_account(uow, account.merged_into, now)
        if account.patient_id in seen:
            raise errors.InvalidMerge(patient_id, account.patient_id, "the merges form a cycle")
        seen.add(account.patient_id)
    return account


def announce_balance(uow: BillingUnitOfWork, patient_id: str, now: dt.datetime) -> None:
    balance = uow.ledger.balance(patient_id)
    uow.emit(messages.balance_changed(patient_id, balance, now), key=patient_id)


def register_patient(uow: BillingUnitOfWork, patient_id: str, preferred_location_id: str,
                     now: dt.datetime) -> None:
    open_account(uow, patient_id, now).mark_registered(preferred_location_id, now)


def merge_patients(uow: BillingUnitOfWork, merged_id: str, surviving_id: str,
                   now: dt.datetime, merge_id: str = "") -> None:
    """Closes the merged patient's account into the survivor's: its open amounts move by
    new MERGE_TRANSFER entries (the ledger is never edited, so both accounts' figures stay
    reproducible from their own entries); its charges, claims, payments, coverages, plans,
    authorizations and bookings are the survivor's from now on. ``merge_id`` (the event's
    id) is named by the transfer entries."""
    if not merged_id or merged_id == surviving_id:
        raise errors.InvalidMerge(merged_id, surviving_id, "two different patients are needed")
    for patient_id in sorted({merged_id, surviving_id}):  # one lock order, no deadlock
        open_account(uow, patient_id, now)
    merged = uow.accounts.get(merged_id)
    survivor = account_for_posting(uow, surviving_id, now)
    if merged.is_merged:
        if merged.merged_into == survivor.patient_id:
            return  # the same merge announced again
        raise errors.InvalidMerge(merged_id, surviving_id, f"already merged into {merged.merged_into}")
    if survivor.patient_id == merged_id:
        raise errors.InvalidMerge(merged_id, surviving_id, "the survivor was merged into it")
    uow.flush()
    uow.ledger.add_all(merge_transfers(merged_id, survivor.patient_id,
                                       merge_id or f"merge:{merged_id}",
                                       uow.ledger.open_amounts(merged_id), now))
    _move_records(uow, merged_id, survivor.patient_id)
    merged.merge_into(survivor.patient_id, now)
    survivor.updated_at = now
    announce_balance(uow, merged_id, now)
    announce_balance(uow, survivor.patient_id, now)


def _move_records(uow: BillingUnitOfWork, from_id: str, to_id: str) -> None:
    """The records that are not the ledger change owner (a charge's version is bumped)."""
    uow.charges.move(from_id, to_id)
    uow.claims.move(from_id, to_id)
    uow.payments.move(from_id, to_id)
    uow.coverages.move(from_id, to_id)
    uow.plans.move(from_id, to_id)
    uow.authorizations.move(from_id, to_id)
    uow.bookings.move(from_id, to_id)
    uow.accounts.redirect_merged(from_id, to_id)


def add_coverage(uow: BillingUnitOfWork, coverage: Coverage, now: dt.datetime) -> None:
    if not coverage.coverage_id:
        raise errors.field("coverage_id", "is required")
    if not coverage.payer_id:
        raise errors.field("payer_id", "is required")
    account = account_for_posting(uow, coverage.patient_id, now)
    coverage.patient_id = account.patient_id
    known = uow.coverages.get(coverage.coverage_id)
    if known is None:
        uow.coverages.add(coverage)
    else:
        known.restate(coverage)


def end_coverage(uow: BillingUnitOfWork, patient_id: str, coverage_id: str,
                 end_date: dt.date, now: dt.datetime) -> None:
    """Ends a coverage; an end heard before the coverage itself is kept for it."""
    if not coverage_id:
        raise errors.field("coverage_id", "is required")
    account = account_for_posting(uow, patient_id, now)
    known = uow.coverages.get(coverage_id)
    if known is None:
        uow.coverages.add(Coverage(coverage_id=coverage_id, patient_id=account.patient_id,
                                   end_date=end_date))
    else:
        known.end(end_date)
