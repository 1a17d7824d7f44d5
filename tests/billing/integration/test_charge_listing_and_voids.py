"""ListCharges and VoidCharge over a real gRPC socket, on SQLite and PostgreSQL."""

import datetime as dt
import threading

import grpc
import pytest
from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import charge_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import events_pb2 as billing_events

from tests.billing.support import completed, date, events_of, reason, row_counts

DAY = dt.date(2026, 3, 10)


def _void(billing, charge_name, reason_text="entered in error", request_id=""):
    return billing.charges.VoidCharge(charge_pb.VoidChargeRequest(
        name=charge_name, reason=reason_text, request_id=request_id)).charge


def _visit_charge(billing, appointment_id="a1", patient_id="p1", code="99213", day=DAY):
    billing.deliver(completed(appointment_id, patient_id, day, (code, 1)))
    [charge] = billing.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/-", appointment_id=appointment_id)).charges
    return charge


def _balance(billing, patient_id="p1"):
    account = billing.accounts.GetAccount(account_pb.GetAccountRequest(name=f"accounts/{patient_id}")).account
    return account.patient_balance_cents, account.insurance_balance_cents


def _all_pages(billing, parent="accounts/-", **filters):
    seen, token = [], ""
    while True:
        page = billing.charges.ListCharges(charge_pb.ListChargesRequest(
            parent=parent, page_size=2, page_token=token, **filters))
        seen += [(c.patient_id, c.appointment_id) for c in page.charges]
        token = page.next_page_token
        if not token:
            return seen


def _seed_three_days(billing):
    for n, (patient, offset) in enumerate([("p1", 0), ("p2", 0), ("p1", 1), ("p1", 2),
                                           ("p2", 2)]):
        billing.deliver(completed(f"a{n}", patient, DAY + dt.timedelta(days=offset), ("99212", 1)))


def test_list_pages_through_charges_in_date_of_service_order(billing):
    _seed_three_days(billing)
    seen = _all_pages(billing)
    assert sorted(seen[:2]) == [("p1", "a0"), ("p2", "a1")]
    assert seen[2:3] == [("p1", "a2")]
    assert sorted(seen[3:]) == [("p1", "a3"), ("p2", "a4")]


def test_list_filters_by_patient_and_date_range(billing):
    _seed_three_days(billing)
    assert _all_pages(billing, "accounts/p1", start_date=date(DAY + dt.timedelta(days=1)),
                      end_date=date(DAY + dt.timedelta(days=2))) == [("p1", "a2"), ("p1", "a3")]
    assert _all_pages(billing, appointment_id="a4") == [("p2", "a4")]


def test_a_page_token_only_serves_the_filters_it_was_made_for(billing):
    _seed_three_days(billing)
    page = billing.charges.ListCharges(charge_pb.ListChargesRequest(page_size=1, parent="accounts/p1"))
    with pytest.raises(grpc.RpcError) as refused:
        billing.charges.ListCharges(charge_pb.ListChargesRequest(page_size=1, parent="accounts/p2",
                                                       page_token=page.next_page_token))
    assert reason(refused.value) == "INVALID_PAGE_TOKEN"


def test_a_date_range_that_ends_before_it_starts_is_invalid(billing):
    with pytest.raises(grpc.RpcError) as refused:
        billing.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/-", start_date=date(DAY),
                                                       end_date=date(DAY - dt.timedelta(days=1))))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_void_reverses_the_charge_and_announces_it(billing):
    charge = _visit_charge(billing)
    voided = _void(billing, charge.name)
    assert (voided.state, voided.void_reason) == (charge_pb2.CHARGE_STATE_VOIDED, "entered in error")
    assert voided.HasField("void_time")
    assert _balance(billing) == (0, 0)
    [event] = events_of(billing.runtime, billing_events.ChargeVoided)
    assert (event.charge_id, event.amount_cents) == (charge.charge_id, 12500)
    assert events_of(billing.runtime, billing_events.AccountBalanceChanged)[-1] \
        .patient_balance_cents == 0


def test_a_voided_visit_is_not_charged_again_when_its_event_is_replayed(billing):
    charge = _visit_charge(billing)
    _void(billing, charge.name)
    billing.deliver(completed("a1", "p1", DAY, ("99213", 1)))
    assert len(billing.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/-")).charges) == 1
    assert _balance(billing) == (0, 0)


def test_voiding_twice_is_refused_and_changes_nothing(billing):
    charge = _visit_charge(billing)
    _void(billing, charge.name)
    before = row_counts(billing.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        _void(billing, charge.name)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(refused.value) == "CHARGE_ALREADY_VOIDED"
    assert row_counts(billing.runtime) == before


def test_a_void_retried_with_its_request_id_returns_the_first_result(billing):
    charge = _visit_charge(billing)
    first = _void(billing, charge.name, request_id="v-1")
    assert _void(billing, charge.name, request_id="v-1") == first
    assert len(events_of(billing.runtime, billing_events.ChargeVoided)) == 1


@pytest.mark.parametrize("name, reason_text, code", [
    ("accounts/p1/charges/nope", "typo", grpc.StatusCode.NOT_FOUND),
    ("charges/nope", "typo", grpc.StatusCode.INVALID_ARGUMENT),
    ("accounts/p1", "typo", grpc.StatusCode.INVALID_ARGUMENT),
    (None, "  ", grpc.StatusCode.INVALID_ARGUMENT),
])
def test_refused_void_leaves_nothing_behind(billing, name, reason_text, code):
    charge = _visit_charge(billing)
    before = row_counts(billing.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        _void(billing, name or charge.name, reason_text, request_id="v-1")
    assert refused.value.code() == code
    assert row_counts(billing.runtime) == before
    assert _balance(billing) == (12500, 0)


def test_concurrent_voids_of_one_charge_reverse_it_once(billing):
    charge = _visit_charge(billing)
    codes, barrier = [], threading.Barrier(4)

    def void():
        barrier.wait()
        try:
            _void(billing, charge.name)
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as error:
            codes.append(error.code())

    threads = [threading.Thread(target=void) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes.count(grpc.StatusCode.OK) == 1
    assert sorted(codes, key=str) == sorted([grpc.StatusCode.OK] +
                                            [grpc.StatusCode.FAILED_PRECONDITION] * 3, key=str)
    assert _balance(billing) == (0, 0)
    assert len(events_of(billing.runtime, billing_events.ChargeVoided)) == 1
