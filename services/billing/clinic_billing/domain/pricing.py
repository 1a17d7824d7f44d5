"""The fee schedule and how a line is priced and assigned to whoever pays first.

Rules (DOMAIN.md): Spravato, TMS and psychiatry are usually billed to insurance;
IV ketamine for depression is mostly self-pay. A line goes to insurance when its
fee schedule entry is insurance-billable and the patient has an active coverage
on the date of service; otherwise the patient pays the self-pay price. Policy
fees are always the patient's and their amount is a clinic setting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.contract import ContractedRate, allowed_per_unit
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import Responsibility, sortable_id

NO_SHOW_FEE = "NO_SHOW_FEE"
LATE_CANCEL_FEE = "LATE_CANCEL_FEE"
POLICY_FEE_CODES = (LATE_CANCEL_FEE, NO_SHOW_FEE)
MAX_PRICE_CENTS = 100_000_000  # a million dollars a unit: anything above is a typo


class BillingUnit(enum.StrEnum):
    SERVICE = "SERVICE"
    MILLIGRAM = "MILLIGRAM"


class FeeKind(enum.StrEnum):
    SERVICE = "SERVICE"
    POLICY = "POLICY"


class PriceKind(enum.StrEnum):
    """Which price a version sets: the self-pay price (a policy fee's amount) or the list
    price insurance is charged."""

    SELF_PAY = "SELF_PAY"
    LIST = "LIST"


@dataclass(frozen=True)
class FeeScheduleEntry:
    procedure_code: str
    description: str
    unit: BillingUnit
    kind: FeeKind
    list_price_cents: int
    self_pay_price_cents: int
    insurance_billable: bool
    contracted_rates: tuple[ContractedRate, ...] = ()  # every payer's, every period
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    def in_force(self, day: dt.date) -> bool:
        """Whether the entry prices a date of service ``day`` (S0013 ends 2025-12-31)."""
        return ((self.effective_from is None or self.effective_from <= day)
                and (self.effective_to is None or day <= self.effective_to))


@dataclass
class PriceVersion:
    """A self-pay price, a list price, or a policy fee's amount, for dates of service from
    ``effective_from`` on, until a version with a later date. Versions are only added:
    a change is a new version and the history stays; of two versions from the same
    date the later one set counts."""

    procedure_code: str
    amount_cents: int
    effective_from: dt.date
    created_at: dt.datetime
    created_by: str
    version_id: str = field(default_factory=sortable_id)
    price_kind: PriceKind = PriceKind.SELF_PAY

    def __post_init__(self):
        if not 0 <= self.amount_cents <= MAX_PRICE_CENTS:
            raise errors.field("amount_cents", f"must be 0 to {MAX_PRICE_CENTS} cents")


def priced(entry: FeeScheduleEntry, *versions: PriceVersion | None) -> FeeScheduleEntry:
    """The entry at the prices of ``versions`` (each sets the price of its kind; None
    sets nothing). A policy fee's amount is its list price too."""
    for version in versions:
        if version is None:
            continue
        if entry.kind == FeeKind.POLICY:
            entry = dataclasses.replace(entry, list_price_cents=version.amount_cents,
                                        self_pay_price_cents=version.amount_cents)
        elif version.price_kind == PriceKind.LIST:
            entry = dataclasses.replace(entry, list_price_cents=version.amount_cents)
        else:
            entry = dataclasses.replace(entry, self_pay_price_cents=version.amount_cents)
    return entry


@dataclass(frozen=True)
class PolicyFees:
    """The clinic's policy fee amounts, in cents (configuration)."""

    no_show_cents: int
    late_cancel_cents: int

    def apply(self, entry: FeeScheduleEntry) -> FeeScheduleEntry:
        """The entry with the configured amount when it is a policy fee."""
        amounts = {NO_SHOW_FEE: self.no_show_cents, LATE_CANCEL_FEE: self.late_cancel_cents}
        if entry.kind != FeeKind.POLICY or entry.procedure_code not in amounts:
            return entry
        cents = amounts[entry.procedure_code]
        return dataclasses.replace(entry, list_price_cents=cents, self_pay_price_cents=cents)


@dataclass(frozen=True)
class Price:
    responsibility: Responsibility
    amount_cents: int
    allowed_cents: int = 0
    payer_id: str = ""
    coverage_id: str = ""


def billable_units(entry: FeeScheduleEntry, units: int) -> int:
    """The units to charge. Zero means one service (proto3 leaves a single unit unset), but
    for a drug billed per milligram it means the dose was not recorded: nothing to charge."""
    if units:
        return units
    return 1 if entry.unit == BillingUnit.SERVICE else 0


def responsibility_for(entry: FeeScheduleEntry, coverage: Coverage | None, *,
                       requested: Responsibility | None = None) -> Responsibility:
    """Who pays first; ``requested`` is a staff member's explicit choice on a manual charge."""
    if entry.kind == FeeKind.POLICY:
        if requested == Responsibility.INSURANCE:
            raise errors.PolicyFeeNotBillableToInsurance(entry.procedure_code)
        return Responsibility.PATIENT
    if requested is not None:
        return requested
    if entry.insurance_billable and coverage is not None:
        return Responsibility.INSURANCE
    return Responsibility.PATIENT


def price(entry: FeeScheduleEntry, units: int, coverage: Coverage | None, *,
          requested: Responsibility | None = None, service_date: dt.date | None = None,
          modifiers: tuple[str, ...] = ()) -> Price:
    """Prices ``units`` of ``entry``. Insurance is billed the list price, with the
    payer's contracted allowed amount (for the line's modifier and date of service) kept
    for reconciliation; a patient pays the self-pay price."""
    who = responsibility_for(entry, coverage, requested=requested)
    if who == Responsibility.PATIENT:
        return Price(who, entry.self_pay_price_cents * units)
    if coverage is None:
        raise ValueError("insurance responsibility needs a coverage")
    allowed = allowed_per_unit(entry.contracted_rates, coverage.payer_id, modifiers,
                               service_date) * units
    return Price(who, entry.list_price_cents * units, allowed, coverage.payer_id,
                 coverage.coverage_id)
