"""Payments, refunds and write-offs as ledger entries: signs, limits and the approver."""

import datetime as dt

import pytest
from clinic_billing.domain.model import EntryKind, Responsibility
from clinic_billing.domain.payment import Payment, PaymentMethod, WriteOff
from clinic_common.errors import ClinicError

NOW = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)


def test_a_payment_lowers_and_its_refund_raises_what_the_patient_owes():
    payment = Payment.receive("p1", PaymentMethod.CHECK, 5000, "1042", "carlsbad", actor="d",
                              now=NOW)
    entry = payment.ledger_entry()
    assert (entry.kind, entry.patient_cents, entry.insurance_cents, entry.payment_id) == \
        (EntryKind.PATIENT_PAYMENT, -5000, 0, payment.payment_id)
    refund = payment.refund(2000, "overpaid", 0, actor="b", now=NOW)
    assert (refund.ledger_entry().patient_cents, refund.refunds_payment_id) == \
        (2000, payment.payment_id)
    with pytest.raises(ClinicError) as refused:
        payment.refund(3001, "again", 2000, actor="b", now=NOW)
    assert refused.value.reason == "REFUND_EXCEEDS_PAYMENT"


@pytest.mark.parametrize("method, cents, reference", [
    (None, 100, "x"), (PaymentMethod.CARD, 0, "x"), (PaymentMethod.CARD, 100, " "),
    (PaymentMethod.CHECK, 100, ""), (PaymentMethod.CASH, 10**12, "")])
def test_a_payment_needs_a_method_a_positive_amount_and_a_reference_but_for_cash(
        method, cents, reference):
    with pytest.raises(ClinicError) as refused:
        Payment.receive("p1", method, cents, reference, "", actor="d", now=NOW)
    assert refused.value.reason == "INVALID_FIELD"


def test_a_write_off_needs_another_approver_and_no_more_than_is_owed():
    def record(approver="mgr", cents=100, owed=100):
        return WriteOff.record("p1", Responsibility.INSURANCE, cents, "timely filing", approver,
                               "c1", owed, actor="biller", now=NOW)
    assert record().ledger_entry("ch1").insurance_cents == -100
    for kw, why in [(dict(approver="biller"), "WRITE_OFF_NEEDS_ANOTHER_APPROVER"),
                    (dict(cents=101), "WRITE_OFF_EXCEEDS_BALANCE"),
                    (dict(approver=""), "INVALID_FIELD")]:
        with pytest.raises(ClinicError) as refused:
            record(**kw)
        assert refused.value.reason == why
