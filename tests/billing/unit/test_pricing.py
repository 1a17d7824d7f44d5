"""Pricing and who pays first, from the fee schedule and the coverage on the date of service."""

import datetime as dt

import pytest
from clinic_billing.domain import errors
from clinic_billing.domain.contract import ContractedRate
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import Responsibility
from clinic_billing.domain.pricing import (
    LATE_CANCEL_FEE,
    NO_SHOW_FEE,
    BillingUnit,
    FeeKind,
    FeeScheduleEntry,
    PolicyFees,
    PriceKind,
    PriceVersion,
    billable_units,
    price,
    priced,
    responsibility_for,
)

KETAMINE = FeeScheduleEntry("J3490", "ketamine per mg", BillingUnit.MILLIGRAM, FeeKind.SERVICE,
                            list_price_cents=200, self_pay_price_cents=100,
                            insurance_billable=False)
TMS = FeeScheduleEntry("90868", "TMS session", BillingUnit.SERVICE, FeeKind.SERVICE,
                       list_price_cents=30000, self_pay_price_cents=25000,
                       insurance_billable=True,
                       contracted_rates=(ContractedRate("r1", "60054", "90868", 21000),))
NO_SHOW = FeeScheduleEntry(NO_SHOW_FEE, "No-show fee", BillingUnit.SERVICE, FeeKind.POLICY,
                           7500, 7500, False)
COVERAGE = Coverage("cov-1", "p1", payer_id="60054", effective_date=dt.date(2026, 1, 1))
OTHER_PAYER = Coverage("cov-2", "p1", payer_id="87726")


def test_self_pay_price_is_per_unit_so_ketamine_is_priced_per_milligram():
    assert price(KETAMINE, 35, None).amount_cents == 3500


def test_insurance_is_billed_the_list_price_with_the_contracted_allowed_amount():
    priced = price(TMS, 2, COVERAGE)
    assert (priced.responsibility, priced.amount_cents, priced.allowed_cents) == \
        (Responsibility.INSURANCE, 60000, 42000)
    assert (priced.payer_id, priced.coverage_id) == ("60054", "cov-1")


def test_a_payer_without_a_contract_has_no_allowed_amount():
    assert price(TMS, 1, OTHER_PAYER).allowed_cents == 0


def test_an_insurable_service_without_coverage_is_self_pay():
    priced = price(TMS, 1, None)
    assert (priced.responsibility, priced.amount_cents, priced.payer_id) == \
        (Responsibility.PATIENT, 25000, "")


def test_a_self_pay_service_stays_self_pay_with_coverage():
    assert responsibility_for(KETAMINE, COVERAGE) == Responsibility.PATIENT


def test_staff_may_choose_who_pays_for_a_service():
    assert responsibility_for(TMS, COVERAGE, requested=Responsibility.PATIENT) == \
        Responsibility.PATIENT
    assert responsibility_for(KETAMINE, COVERAGE, requested=Responsibility.INSURANCE) == \
        Responsibility.INSURANCE


def test_a_policy_fee_is_always_the_patients():
    assert responsibility_for(NO_SHOW, COVERAGE) == Responsibility.PATIENT
    with pytest.raises(errors.PolicyFeeNotBillableToInsurance):
        responsibility_for(NO_SHOW, COVERAGE, requested=Responsibility.INSURANCE)


def test_configured_policy_fees_replace_the_stored_amount_of_policy_entries_only():
    fees = PolicyFees(no_show_cents=9900, late_cancel_cents=4000)
    assert fees.apply(NO_SHOW).self_pay_price_cents == 9900
    assert fees.apply(NO_SHOW).list_price_cents == 9900
    assert fees.apply(TMS) == TMS
    late = FeeScheduleEntry(LATE_CANCEL_FEE, "Late cancel", BillingUnit.SERVICE, FeeKind.POLICY,
                            1, 1, False)
    assert fees.apply(late).self_pay_price_cents == 4000


def test_zero_units_of_a_service_is_one_service():
    assert billable_units(TMS, 0) == 1
    assert billable_units(TMS, 3) == 3


def test_zero_units_of_a_drug_per_milligram_is_no_dose_to_charge():
    assert billable_units(KETAMINE, 0) == 0
    assert price(KETAMINE, billable_units(KETAMINE, 0), None).amount_cents == 0


def _version(cents: int, kind: PriceKind) -> PriceVersion:
    return PriceVersion("x", cents, dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                        "biller-1", price_kind=kind)


def test_each_price_version_sets_the_price_of_its_kind():
    both = priced(TMS, _version(31000, PriceKind.LIST), None, _version(26000, PriceKind.SELF_PAY))
    assert (both.list_price_cents, both.self_pay_price_cents) == (31000, 26000)
    only_list = priced(TMS, _version(31000, PriceKind.LIST))
    assert (only_list.list_price_cents, only_list.self_pay_price_cents) == (31000, 25000)
    assert price(only_list, 2, COVERAGE).amount_cents == 62000  # insurance: the list price
    assert price(only_list, 2, None).amount_cents == 50000  # self-pay: the seeded price
    fee = priced(NO_SHOW, _version(9900, PriceKind.SELF_PAY))
    assert (fee.list_price_cents, fee.self_pay_price_cents) == (9900, 9900)
