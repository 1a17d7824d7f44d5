"""Self-pay prices, list prices and policy fees set over the API, as versions by first
date of service.

A change never edits a price: it adds a version from a date of service on, so the
history stays and a charge's date of service decides its price. Policy fees are the
fee schedule's NO_SHOW_FEE and LATE_CANCEL_FEE entries: their versions override the
BILLING_*_FEE_CENTS settings from their dates on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.domain import errors
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.pricing import (
    POLICY_FEE_CODES,
    FeeKind,
    FeeScheduleEntry,
    PriceKind,
    PriceVersion,
    priced,
)
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


@dataclass(frozen=True)
class SetPrice:
    """A new self-pay price (``policy_fee``: a policy fee's amount; ``price_kind`` LIST:
    the list price insurance is charged) from ``effective_from``."""

    procedure_code: str
    amount_cents: int
    effective_from: dt.date
    policy_fee: bool = False
    key: RequestKey = NO_KEY
    price_kind: PriceKind = PriceKind.SELF_PAY


def set_price(cmd: SetPrice, runner: Billing) -> str:
    """Adds the version; returns its id. A policy fee is set as one, a service's self-pay
    price as one: each through its own method."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        entry = uow.fee_schedule.get(cmd.procedure_code)
        is_policy_fee = entry is not None and entry.kind == FeeKind.POLICY
        if cmd.policy_fee and not is_policy_fee:
            raise errors.PolicyFeeNotFound(cmd.procedure_code)
        if entry is None:
            raise errors.FeeScheduleEntryNotFound(cmd.procedure_code)
        if is_policy_fee and not cmd.policy_fee:
            raise errors.field("entry.name", "is a policy fee: its amount is set with "
                               "UpdatePolicyFee")
        version = PriceVersion(procedure_code=cmd.procedure_code,
                               amount_cents=cmd.amount_cents,
                               effective_from=cmd.effective_from, created_at=c.now,
                               created_by=c.actor, price_kind=cmd.price_kind)
        uow.prices.add(version)
        return version.version_id

    return runner.change("UpdatePolicyFee" if cmd.policy_fee else "UpdateFeeScheduleEntry",
                         cmd.key, action)


def get_version(version_id: str, policy: BillingPolicy, runner: Billing
                ) -> tuple[PriceVersion, FeeScheduleEntry]:
    """A version and its entry at its prices on the version's date (the version's own
    price, and the other price's version in force then)."""
    def query(uow: BillingUnitOfWork) -> tuple[PriceVersion, FeeScheduleEntry]:
        version = uow.prices.get(version_id)
        code, on = version.procedure_code, version.effective_from
        entry = uow.fee_schedule.get(code)
        other = (PriceKind.SELF_PAY if version.price_kind == PriceKind.LIST
                 else PriceKind.LIST)
        return version, priced(policy.fees.apply(entry),
                               uow.prices.in_force([code], on, other).get(code), version)

    return runner.read(query)


def list_versions(procedure_code: str, runner: Billing, *, limit: int,
                  after: list | None) -> keyset.Page:
    """One entry's versions (a service's self-pay and list prices, or a policy fee's
    amounts)."""
    def query(uow: BillingUnitOfWork) -> keyset.Page:
        if uow.fee_schedule.get(procedure_code) is None:
            raise errors.FeeScheduleEntryNotFound(procedure_code)
        return uow.prices.list(procedure_code, limit=limit, after=after)

    return runner.read(query)


@dataclass(frozen=True)
class PolicyFeeView:
    entry: FeeScheduleEntry  # at the amount in force
    version: PriceVersion | None  # None: the settings' amount


def policy_fees(runner: Billing, policy: BillingPolicy, day: dt.date | None = None
                ) -> list[PolicyFeeView]:
    """The policy fees as they price a date of service ``day`` (today by default)."""
    def query(uow: BillingUnitOfWork) -> list[PolicyFeeView]:
        on = day or policy.today(runner.clock())
        versions = uow.prices.in_force(list(POLICY_FEE_CODES), on)
        views = []
        for code in POLICY_FEE_CODES:
            entry = uow.fee_schedule.get(code)
            if entry is not None:
                version = versions.get(code)
                views.append(PolicyFeeView(priced(policy.fees.apply(entry), version), version))
        return views

    return runner.read(query)
