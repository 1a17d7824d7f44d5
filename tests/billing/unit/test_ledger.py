"""Charges on the ledger: who the amount is owed by, voids, and the balance."""

import datetime as dt

import pytest
from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import (
    Balance,
    ChargeSource,
    ChargeState,
    EntryKind,
    LineItem,
    Responsibility,
)
from clinic_billing.domain.pricing import Price
from clinic_common.errors import FieldViolation

NOW = dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC)


def _charge(price):
    return Charge.post(patient_id="p1", item=LineItem("90868"), price=price,
                       source=ChargeSource.VISIT, service_date=NOW.date(), now=NOW)


SELF_PAY = Price(Responsibility.PATIENT, 25000)
INSURED = Price(Responsibility.INSURANCE, 30000, 21000, "60054", "cov-1")


def test_a_self_pay_charge_is_owed_by_the_patient():
    entry = _charge(SELF_PAY).ledger_entry()
    assert (entry.kind, entry.patient_cents, entry.insurance_cents) == (EntryKind.CHARGE, 25000, 0)


def test_an_insured_charge_is_expected_from_insurance():
    entry = _charge(INSURED).ledger_entry()
    assert (entry.patient_cents, entry.insurance_cents) == (0, 30000)


def test_the_balance_is_the_sum_of_entries_split_by_who_owes():
    first, second = _charge(SELF_PAY), _charge(INSURED)
    entries = [first.ledger_entry(), second.ledger_entry(), first.void("duplicate", NOW)]
    assert Balance.of(entries) == Balance(patient_cents=0, insurance_cents=30000)


def test_a_void_reverses_the_charge_on_the_same_side():
    charge = _charge(INSURED)
    reversal = charge.void("wrong code", NOW)
    assert (reversal.kind, reversal.patient_cents, reversal.insurance_cents) == \
        (EntryKind.VOID, 0, -30000)
    assert (charge.state, charge.void_reason, charge.voided_at) == \
        (ChargeState.VOIDED, "wrong code", NOW)


def test_a_charge_is_voided_once():
    charge = _charge(SELF_PAY)
    charge.void("duplicate", NOW)
    with pytest.raises(errors.ChargeAlreadyVoided):
        charge.void("again", NOW)


def test_a_void_needs_a_reason():
    with pytest.raises(FieldViolation):
        _charge(SELF_PAY).void("   ", NOW)


def test_a_line_keeps_its_units_and_its_code_is_normalized():
    assert LineItem(" j3490 ", 0).checked("line") == LineItem("J3490", 0)


@pytest.mark.parametrize("item", [LineItem("", 1), LineItem("99213", -1),
                                  LineItem("99213", 1, ("a", "b", "c", "d", "e"))])
def test_a_malformed_line_is_refused_naming_its_field(item):
    with pytest.raises(FieldViolation) as refused:
        item.checked("service_lines[0]")
    assert refused.value.field.startswith("service_lines[0].")
