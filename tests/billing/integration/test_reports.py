"""ReportService on SQLite and PostgreSQL: remittance reconciliation, claim balances and
variance, denials, AR aging, statements and daily totals, all from the ledger."""

import datetime as dt
from zoneinfo import ZoneInfo

import grpc
import pytest
from clinic.billing.v1 import charge_pb2, payment_pb2
from clinic.billing.v1 import payment_service_pb2 as payment_pb
from clinic.billing.v1 import report_service_pb2 as pb

from tests.billing.flow import AS_BILLING, DAY, answer, imported
from tests.billing.support import completed, date, reason
from tests.billing.x835 import ClaimPayment, era


@pytest.fixture
def answered(sent):
    billing, claims, charges = sent
    remittance = imported(billing, era(answer(claims, charges), plb=[("WO", "OVP-9", 1500)]))
    return billing, claims, remittance.remittance


def test_a_remittance_reconciles_deposit_with_posted_payments_less_plb(answered):
    billing, claims, remittance = answered
    r = billing.reports.GetRemittanceReconciliation(pb.GetRemittanceReconciliationRequest(
        name=remittance.name), metadata=AS_BILLING)
    assert (r.deposit_cents, r.posted_payment_cents, r.provider_adjustment_cents,
            r.difference_cents, r.balanced) == (16500, 18000, 1500, 0, True)
    stray = imported(billing, era([ClaimPayment("NOPE", "1", 5000, 4000, 0,
                                                adjustments=[])], trace="CHK9"))
    r = billing.reports.GetRemittanceReconciliation(pb.GetRemittanceReconciliationRequest(
        name=stray.remittance.name), metadata=AS_BILLING)
    assert (r.difference_cents, r.suspense_cents, r.balanced, list(r.unbalanced_claims)) == \
        (4000, 4000, False, ["NOPE"])


def test_each_claim_balances_and_variance_is_against_the_contract(answered):
    billing, claims, _ = answered
    rows = billing.reports.ListClaimBalances(pb.ListClaimBalancesRequest(parent="accounts/-"),
                                             metadata=AS_BILLING).balances
    by_claim = {b.claim: b for b in rows}
    p1, p2, p3 = (by_claim[c.name] for c in claims)
    assert (p1.charge_cents, p1.paid_cents, p1.patient_responsibility_cents,
            p1.adjustment_cents, p1.open_cents, p1.variance_cents) == \
        (65000, 8000, 2000, 55000, 0, 8000 + 2000 - 47000)
    assert (p1.state, p2.open_cents, p2.variance_cents, p2.state) == \
        ("PARTIALLY_PAID", 0, 0, "PAID")
    assert (p3.open_cents, p3.state) == (0, "DENIED")
    variance = billing.reports.GetPaymentVariance(pb.GetPaymentVarianceRequest(
        start_date=date(DAY), end_date=date(DAY)), metadata=AS_BILLING).payers
    assert [(v.payer_id, v.claim_count, v.contracted_cents, v.paid_cents, v.variance_cents)
            for v in variance] == [("60054", 3, 62000, 18000, 18000 + 7000 - 62000)]


def test_denials_are_counted_by_payer_and_reason(answered):
    billing, _, _ = answered
    rows = billing.reports.GetDenialSummary(pb.GetDenialSummaryRequest(),
                                            metadata=AS_BILLING).rows
    assert [(r.payer_id, r.reason_code, r.count, r.denied_cents) for r in rows] == \
        [("60054", "CO-50", 1, 22000)]


def test_open_ar_is_aged_per_payer_and_for_patients(answered):
    """Aged on the day asked for, from what was posted by its end (so an old day's figure
    does not change later)."""
    billing, _, _ = answered
    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    billing.deliver(completed("a9", "p2", today - dt.timedelta(days=40), ("90868", 1)))
    aging = billing.reports.GetArAging(pb.GetArAgingRequest(as_of=date(today)),
                                       metadata=AS_BILLING)
    [payer] = aging.payers
    assert (payer.payer_id, payer.buckets.days_31_60_cents, payer.buckets.days_over_90_cents) \
        == ("60054", 30000, 0)
    assert aging.patients.days_over_90_cents == 2000 + 5000  # copay and deductible of DAY
    later = billing.reports.GetArAging(pb.GetArAgingRequest(
        as_of=date(today + dt.timedelta(days=60))), metadata=AS_BILLING)
    assert later.payers[0].buckets.days_over_90_cents == 30000
    before = billing.reports.GetArAging(pb.GetArAgingRequest(
        as_of=date(DAY - dt.timedelta(days=1))), metadata=AS_BILLING)
    assert list(before.payers) == [] and before.patients.days_0_30_cents == 0


def test_a_statement_shows_the_patients_ledger_and_a_payment_lowers_it(answered):
    billing, _, _ = answered
    billing.payments.RecordPayment(payment_pb.RecordPaymentRequest(
        parent="accounts/p1", payment=payment_pb2.Payment(
            method=payment_pb2.PAYMENT_METHOD_CASH, amount_cents=2000, location_id="carlsbad")),
        metadata=AS_BILLING)
    s = billing.reports.GetPatientStatement(pb.GetPatientStatementRequest(account="accounts/p1"),
                                            metadata=AS_BILLING)
    assert [line.kind for line in s.lines][:2] == ["CHARGE", "CHARGE"]
    assert [line.kind for line in s.lines][-1] == "PATIENT_PAYMENT"
    assert (s.opening_patient_cents, s.closing_patient_cents, s.closing_insurance_cents) == \
        (0, 0, 0)
    assert max(line.patient_balance_cents for line in s.lines) == 2000
    with pytest.raises(grpc.RpcError) as refused:
        billing.reports.GetPatientStatement(pb.GetPatientStatementRequest(
            account="accounts/nobody"), metadata=AS_BILLING)
    assert reason(refused.value) == "ACCOUNT_NOT_FOUND"


def test_daily_totals_per_location(answered):
    billing, _, _ = answered
    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    rows = billing.reports.GetDailyTotals(pb.GetDailyTotalsRequest(date=date(today)),
                                          metadata=AS_BILLING).locations
    [carlsbad] = [r for r in rows if r.location_id == "carlsbad"]
    assert (carlsbad.charge_cents, carlsbad.insurance_payment_cents,
            carlsbad.adjustment_cents) == (65000 + 30000 + 22000, 18000, 55000 + 15000 + 22000)


def test_daily_totals_count_desk_money_refunds_and_write_offs_where_they_happened(answered):
    billing, _, _ = answered
    desk = billing.payments.RecordPayment(payment_pb.RecordPaymentRequest(
        parent="accounts/p1", payment=payment_pb2.Payment(
            method=payment_pb2.PAYMENT_METHOD_CASH, amount_cents=2000, location_id="carlsbad")),
        metadata=AS_BILLING).payment
    billing.payments.RefundPayment(payment_pb.RefundPaymentRequest(
        name=desk.name, amount_cents=300, reason="overpaid"), metadata=AS_BILLING)
    billing.payments.RecordPayment(payment_pb.RecordPaymentRequest(
        parent="accounts/p2", payment=payment_pb2.Payment(
            method=payment_pb2.PAYMENT_METHOD_CHECK, amount_cents=700, reference="CHK-1")),
        metadata=AS_BILLING)
    billing.payments.CreateWriteOff(payment_pb.CreateWriteOffRequest(
        parent="accounts/p2", responsibility=charge_pb2.RESPONSIBILITY_PATIENT,
        amount_cents=1000, reason="hardship", approver_staff_id="manager-1"),
        metadata=AS_BILLING)
    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    rows = {r.location_id: r for r in billing.reports.GetDailyTotals(
        pb.GetDailyTotalsRequest(date=date(today)), metadata=AS_BILLING).locations}
    carlsbad, nowhere = rows["carlsbad"], rows["-"]
    assert (carlsbad.charge_cents, carlsbad.patient_payment_cents, carlsbad.refund_cents,
            carlsbad.insurance_payment_cents, carlsbad.adjustment_cents,
            carlsbad.write_off_cents) == \
        (65000 + 30000 + 22000, 2000, 300, 18000, 55000 + 15000 + 22000, 0)
    assert (nowhere.charge_cents, nowhere.patient_payment_cents, nowhere.refund_cents,
            nowhere.write_off_cents) == (0, 700, 0, 1000)
    yesterday = billing.reports.GetDailyTotals(pb.GetDailyTotalsRequest(
        date=date(today - dt.timedelta(days=1))), metadata=AS_BILLING).locations
    assert list(yesterday) == []


def test_report_refusals(answered):
    billing, _, _ = answered
    for call, request in [
        (billing.reports.GetArAging, pb.GetArAgingRequest()),
        (billing.reports.GetDailyTotals, pb.GetDailyTotalsRequest()),
        (billing.reports.GetPaymentVariance, pb.GetPaymentVarianceRequest(
            start_date=date(DAY), end_date=date(DAY - dt.timedelta(days=1)))),
    ]:
        with pytest.raises(grpc.RpcError) as refused:
            call(request, metadata=AS_BILLING)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as refused:
        billing.reports.GetRemittanceReconciliation(pb.GetRemittanceReconciliationRequest(
            name="remittances/nope"), metadata=AS_BILLING)
    assert reason(refused.value) == "REMITTANCE_NOT_FOUND"
