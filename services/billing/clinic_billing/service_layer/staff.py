"""What staff do to charges over the API: post one by hand, void one.

Both take an optional request id (AIP-155); a refusal leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.domain import coding, errors, pricing
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.coverage import primary_on
from clinic_billing.domain.model import ChargeSource, LineItem, Responsibility
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.service_layer import authorizations, bookings, messages
from clinic_billing.service_layer.accounts import announce_balance
from clinic_billing.service_layer.charges import fee_entry, record
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


@dataclass(frozen=True)
class CreateCharge:
    patient_id: str
    item: LineItem
    service_date: dt.date | None
    appointment_id: str = ""
    location_id: str = ""
    responsibility: Responsibility | None = None
    key: RequestKey = NO_KEY


def create_charge(cmd: CreateCharge, runner: Runner[BillingUnitOfWork],
                  policy: BillingPolicy) -> str:
    """Posts a charge by hand to an open account; returns the charge id."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        item = cmd.item.checked("charge")
        service_date = _checked_service_date(cmd.service_date, policy, c.now)
        account = uow.accounts.get(cmd.patient_id, for_update=True)
        if account is None:
            raise errors.AccountNotFound(cmd.patient_id)
        account.ensure_open()
        item, price = _priced(uow, cmd, item, service_date, policy)
        charge = record(uow, Charge.post(
            patient_id=account.patient_id, item=item, price=price,
            source=ChargeSource.MANUAL, service_date=service_date,
            appointment_id=cmd.appointment_id, location_id=cmd.location_id, now=c.now))
        announce_balance(uow, account.patient_id, c.now)
        bookings.recheck(uow, account.patient_id, policy.coding, c.now)  # units were used
        return charge.charge_id

    return runner.change("CreateCharge", cmd.key, action)


def _priced(uow: BillingUnitOfWork, cmd: CreateCharge, item: LineItem, service_date: dt.date,
            policy: BillingPolicy) -> tuple[LineItem, pricing.Price]:
    """The item with its billable units, and its price for whoever pays first."""
    entry = fee_entry(uow, item.procedure_code, policy, service_date)
    item = dataclasses.replace(item, units=pricing.billable_units(entry, item.units))
    drug = policy.coding.drug_by_code(item.procedure_code)
    if drug is not None and item.drug is None:
        item = dataclasses.replace(item, drug=drug.detail(item.units))
    if item.units == 0:
        raise errors.field("charge.units", f"the dose in mg is required for {entry.procedure_code}")
    coverage = primary_on(uow.coverages.for_patient(cmd.patient_id), service_date)
    who = pricing.responsibility_for(entry, coverage, requested=cmd.responsibility)
    if who == Responsibility.INSURANCE and coverage is None:
        raise errors.NoActiveCoverage(cmd.patient_id, service_date)
    return item, pricing.price(entry, item.units, coverage, requested=who,
                               service_date=service_date, modifiers=item.modifiers)


def _checked_service_date(day: dt.date | None, policy: BillingPolicy, now: dt.datetime) -> dt.date:
    if day is None:
        raise errors.field("charge.service_date", "is required")
    if day > policy.today(now):
        raise errors.field("charge.service_date", "is in the future")
    return day


@dataclass(frozen=True)
class VoidCharge:
    patient_id: str
    charge_id: str
    reason: str
    key: RequestKey = NO_KEY


def void_charge(cmd: VoidCharge, runner: Runner[BillingUnitOfWork],
                rules: coding.CodingRules) -> str:
    """Voids a posted charge with a reversing entry; returns the charge id."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        uow.accounts.lock_all([cmd.patient_id])  # first, as every path to bookings does
        charge = uow.charges.get(cmd.charge_id, for_update=True)
        if charge is None or charge.patient_id != cmd.patient_id:
            raise errors.ChargeNotFound(cmd.charge_id)
        c.concerns(charge.patient_id)
        claim_id = uow.claims.claim_of(charge.charge_id)
        if claim_id is not None:
            raise errors.ChargeOnClaim(charge.charge_id, claim_id)
        uow.ledger.add(charge.void(cmd.reason, c.now))
        authorizations.give_back(uow, charge, c.now)
        uow.flush()
        uow.emit(messages.charge_voided(charge), key=charge.patient_id)
        announce_balance(uow, charge.patient_id, c.now)
        bookings.recheck(uow, charge.patient_id, rules, c.now)  # units came back
        return charge.charge_id

    return runner.change("VoidCharge", cmd.key, action)
