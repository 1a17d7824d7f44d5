"""Reads: accounts with their balances and coverages, charges, the fee schedule."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import Runner

from clinic_billing.adapters.repository import ChargeFilter
from clinic_billing.domain import errors, pricing
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.coverage import Coverage, in_priority_order
from clinic_billing.domain.model import Account, Balance
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.pricing import FeeScheduleEntry
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


@dataclass(frozen=True)
class AccountView:
    account: Account
    balance: Balance
    coverages: list[Coverage]


def get_account(patient_id: str, runner: Billing) -> AccountView:
    def query(uow: BillingUnitOfWork) -> AccountView:
        account = uow.accounts.get(patient_id)
        if account is None:
            raise errors.AccountNotFound(patient_id)
        return _views(uow, [account])[0]

    return runner.read(query)


def list_accounts(runner: Billing, *, limit: int, after: list | None) -> keyset.Page:
    def query(uow: BillingUnitOfWork) -> keyset.Page:
        page = uow.accounts.list(limit=limit, after=after)
        return keyset.Page(_views(uow, page.items), page.next_key)

    return runner.read(query)


def _views(uow: BillingUnitOfWork, accounts: list[Account]) -> list[AccountView]:
    ids = [a.patient_id for a in accounts]
    balances = uow.ledger.balances(ids) if ids else {}
    coverages = uow.coverages.for_patients(ids) if ids else {}
    return [AccountView(a, balances.get(a.patient_id, Balance()),
                        in_priority_order(c for c in coverages.get(a.patient_id, []) if c.payer_id))
            for a in accounts]


def get_charge(patient_id: str, charge_id: str, runner: Billing) -> Charge:
    """The charge ``charge_id`` on ``patient_id``'s account; on another account it is not found."""
    def query(uow: BillingUnitOfWork) -> Charge:
        charge = uow.charges.get(charge_id)
        if charge is None or charge.patient_id != patient_id:
            raise errors.ChargeNotFound(charge_id)
        return charge

    return runner.read(query)


def list_charges(runner: Billing, flt: ChargeFilter, *, limit: int,
                 after: list | None) -> keyset.Page:
    if flt.start_date and flt.end_date and flt.start_date > flt.end_date:
        raise errors.field("end_date", "is before start_date")
    return runner.read(lambda uow: uow.charges.list(flt, limit=limit, after=after))


def get_fee_entry(code: str, runner: Billing, policy: BillingPolicy) -> FeeScheduleEntry:
    """The entry at its prices for today's dates of service."""
    def query(uow: BillingUnitOfWork) -> FeeScheduleEntry:
        entry = uow.fee_schedule.get(code)
        if entry is None:
            raise errors.FeeScheduleEntryNotFound(code)
        return _priced_today(uow, [entry], policy, runner)[0]

    return runner.read(query)


def list_fee_schedule(runner: Billing, policy: BillingPolicy, *, limit: int,
                      after: list | None) -> keyset.Page:
    def query(uow: BillingUnitOfWork) -> keyset.Page:
        page = uow.fee_schedule.list(limit=limit, after=after)
        return keyset.Page(_priced_today(uow, page.items, policy, runner), page.next_key)

    return runner.read(query)


def _priced_today(uow: BillingUnitOfWork, entries: list[FeeScheduleEntry],
                  policy: BillingPolicy, runner: Billing) -> list[FeeScheduleEntry]:
    codes, today = [e.procedure_code for e in entries], policy.today(runner.clock())
    self_pay = uow.prices.in_force(codes, today)
    list_prices = uow.prices.in_force(codes, today, pricing.PriceKind.LIST)
    return [pricing.priced(policy.fees.apply(e), list_prices.get(e.procedure_code),
                           self_pay.get(e.procedure_code))
            for e in entries]
