"""PaymentService on SQLite and PostgreSQL: patient payments, refunds, write-offs with an
approver, suspense money applied to a claim or a patient."""

import grpc
import pytest
from clinic.billing.v1 import charge_pb2, payment_pb2
from clinic.billing.v1 import payment_service_pb2 as pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.billing.flow import AS_BILLING, answer, balances, imported
from tests.billing.support import reason, row_counts
from tests.billing.x835 import ClaimPayment, Line, era

AS_DESK = auth.metadata(Role.FRONT_DESK, sub="desk-1")
PATIENT = charge_pb2.RESPONSIBILITY_PATIENT


def pay(billing, patient, cents, method=payment_pb2.PAYMENT_METHOD_CARD, reference="AUTH-1",
        **kw):
    return billing.payments.RecordPayment(pb.RecordPaymentRequest(
        parent=f"accounts/{patient}", payment=payment_pb2.Payment(
            method=method, amount_cents=cents, reference=reference, location_id="carlsbad"),
        **kw), metadata=AS_DESK).payment


def test_a_copay_is_paid_at_the_desk_and_part_of_it_refunded(sent):
    billing, claims, charges = sent
    imported(billing, era(answer(claims, charges)))
    assert balances(billing, "p1") == (2000, 0)
    payment = pay(billing, "p1", 2500, request_id="pay-1")
    assert pay(billing, "p1", 2500, request_id="pay-1") == payment  # a retry
    assert (payment.kind, payment.create_staff_id) == (payment_pb2.PAYMENT_KIND_PAYMENT, "desk-1")
    assert balances(billing, "p1") == (-500, 0)  # a credit of 5 dollars
    refund = billing.payments.RefundPayment(pb.RefundPaymentRequest(
        name=payment.name, amount_cents=500, reason="overpaid"), metadata=AS_BILLING).refund
    assert (refund.kind, refund.refunded_payment, refund.method) == \
        (payment_pb2.PAYMENT_KIND_REFUND, payment.name, payment_pb2.PAYMENT_METHOD_CARD)
    assert balances(billing, "p1") == (0, 0)
    before = row_counts(billing.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        billing.payments.RefundPayment(pb.RefundPaymentRequest(
            name=payment.name, amount_cents=2001, reason="again"), metadata=AS_BILLING)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "REFUND_EXCEEDS_PAYMENT")
    listed = billing.payments.ListPayments(pb.ListPaymentsRequest(parent="accounts/-"),
                                           metadata=AS_BILLING).payments
    assert [p.name for p in listed] == [payment.name, refund.name]
    assert row_counts(billing.runtime) == before


def test_payment_refusals_change_nothing(sent):
    billing, _, _ = sent
    before = row_counts(billing.runtime)
    cases = [
        (dict(cents=0), "INVALID_FIELD"), (dict(cents=-5), "INVALID_FIELD"),
        (dict(cents=100, method=payment_pb2.PAYMENT_METHOD_UNSPECIFIED), "INVALID_FIELD"),
        (dict(cents=100, method=payment_pb2.PAYMENT_METHOD_CHECK, reference=""),
         "INVALID_FIELD"),
        (dict(cents=100, method=77), "INVALID_FIELD"),
    ]
    for kw, why in cases:
        with pytest.raises(grpc.RpcError) as refused:
            pay(billing, "p1", **kw)
        assert reason(refused.value) == why, kw
    with pytest.raises(grpc.RpcError) as refused:
        pay(billing, "nobody", 100)
    assert reason(refused.value) == "ACCOUNT_NOT_FOUND"
    assert row_counts(billing.runtime) == before
    cash = pay(billing, "p1", 100, method=payment_pb2.PAYMENT_METHOD_CASH, reference="")
    assert cash.method == payment_pb2.PAYMENT_METHOD_CASH


def write_off(billing, patient, cents, *, who=charge_pb2.RESPONSIBILITY_INSURANCE, claim="",
              approver="manager-1", metadata=AS_BILLING):
    return billing.payments.CreateWriteOff(pb.CreateWriteOffRequest(
        parent=f"accounts/{patient}", responsibility=who, amount_cents=cents,
        reason="timely filing", approver_staff_id=approver, claim=claim), metadata=metadata)


def test_a_write_off_needs_a_reason_another_approver_and_no_more_than_is_owed(sent):
    billing, claims, charges = sent
    imported(billing, era(answer(claims, charges)))
    assert balances(billing, "p2") == (5000, 0)  # the deductible
    before = row_counts(billing.runtime)
    for kw, why in [(dict(approver="biller-9"), "WRITE_OFF_NEEDS_ANOTHER_APPROVER"),
                    (dict(approver=""), "INVALID_FIELD"),
                    (dict(who=0), "INVALID_FIELD")]:
        with pytest.raises(grpc.RpcError) as refused:
            write_off(billing, "p2", 1000, who=kw.pop("who", PATIENT), claim=claims[1].name, **kw)
        assert reason(refused.value) == why, kw
    with pytest.raises(grpc.RpcError) as refused:
        write_off(billing, "p2", 5001, who=PATIENT, claim=claims[1].name)
    with pytest.raises(grpc.RpcError) as refused:
        write_off(billing, "p2", 1, claim=claims[1].name)  # insurance owes nothing on it
    assert reason(refused.value) == "WRITE_OFF_EXCEEDS_BALANCE"
    assert reason(refused.value) == "WRITE_OFF_EXCEEDS_BALANCE"
    assert row_counts(billing.runtime) == before
    done = write_off(billing, "p2", 5000, who=PATIENT, claim=claims[1].name).write_off
    assert (done.approver_staff_id, done.claim, done.create_staff_id) == \
        ("manager-1", claims[1].name, "biller-9")
    assert balances(billing, "p2") == (0, 0)


def test_suspense_money_goes_to_a_claim_or_to_a_patient_once(sent):
    billing, claims, charges = sent
    c2 = claims[1]
    remittance = imported(billing, era([
        ClaimPayment("UNKNOWN-1", "1", 30000, 12000, 0, lines=[Line("90868", 30000, 12000)]),
        ClaimPayment("UNKNOWN-2", "1", 1000, 700, 0),
    ])).remittance
    first, second = sorted(remittance.suspense_items, key=lambda s: s.amount_cents)
    applied = billing.payments.ApplySuspenseItem(pb.ApplySuspenseItemRequest(
        name=second.name, target=c2.name), metadata=AS_BILLING).suspense_item
    assert (applied.state, applied.applied_to, applied.apply_staff_id) == \
        ("APPLIED", c2.name, "biller-9")
    assert balances(billing, "p2") == (0, 30000 - 12000)
    billing.payments.ApplySuspenseItem(pb.ApplySuspenseItemRequest(
        name=first.name, target="accounts/p3"), metadata=AS_BILLING)
    assert balances(billing, "p3")[0] == -700
    before = row_counts(billing.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        billing.payments.ApplySuspenseItem(pb.ApplySuspenseItemRequest(
            name=first.name, target="accounts/p1"), metadata=AS_BILLING)
    assert reason(refused.value) == "SUSPENSE_ALREADY_APPLIED"
    assert row_counts(billing.runtime) == before
