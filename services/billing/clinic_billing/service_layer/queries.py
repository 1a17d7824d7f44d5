"""Reads: accounts with their balances and coverages, charges, the fee schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_billing.adapters.repository import ChargeFilter
from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.coverage import Coverage, in_priority_order
from clinic_billing.domain.model import Account, Balance
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.pricing import FeeScheduleEntry
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


@dataclass(frozen=True)
class AccountView:
    account: Account
    balance: Balance
    coverages: list[Coverage]


def get_account(patient_id: str, uow: BillingUnitOfWork) -> AccountView:
    with uow:
        account = uow.accounts.get(patient_id)
        if account is None:
            raise errors.AccountNotFound(patient_id)
        return _views(uow, [account])[0]


def list_accounts(uow: BillingUnitOfWork, *, limit: int, after: str | None) -> list[AccountView]:
    with uow:
        return _views(uow, uow.accounts.list(limit=limit, after=after))


def _views(uow: BillingUnitOfWork, accounts: list[Account]) -> list[AccountView]:
    ids = [a.patient_id for a in accounts]
    balances = uow.ledger.balances(ids) if ids else {}
    coverages = uow.coverages.for_patients(ids) if ids else {}
    return [AccountView(a, balances.get(a.patient_id, Balance()),
                        in_priority_order(c for c in coverages.get(a.patient_id, []) if c.payer_id))
            for a in accounts]


def get_charge(charge_id: str, uow: BillingUnitOfWork) -> Charge:
    with uow:
        charge = uow.charges.get(charge_id)
        if charge is None:
            raise errors.ChargeNotFound(charge_id)
        return charge


def list_charges(uow: BillingUnitOfWork, flt: ChargeFilter, *, limit: int,
                 after: tuple[dt.date, str] | None) -> list[Charge]:
    if flt.start_date and flt.end_date and flt.start_date > flt.end_date:
        raise errors.field("end_date", "is before start_date")
    with uow:
        return uow.charges.list(flt, limit=limit, after=after)


def get_fee_entry(code: str, uow: BillingUnitOfWork, policy: BillingPolicy) -> FeeScheduleEntry:
    with uow:
        entry = uow.fee_schedule.get(code)
        if entry is None:
            raise errors.FeeScheduleEntryNotFound(code)
        return policy.fees.apply(entry)


def list_fee_schedule(uow: BillingUnitOfWork, policy: BillingPolicy, *, limit: int,
                      after: str | None) -> list[FeeScheduleEntry]:
    with uow:
        return [policy.fees.apply(e) for e in uow.fee_schedule.list(limit=limit, after=after)]
