"""CreateCharge, GetCharge and VoidCharge over a real gRPC socket, on SQLite and PostgreSQL."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import charge_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import events_pb2 as billing_events
from clinic.common.v1 import types_pb2
from clinic.intake.v1 import events_pb2 as intake

from tests.billing.support import date, events_of, outbox_events, reason, row_counts

DAY = dt.date(2026, 3, 10)


def _create(billing, patient_id="p1", request_id="", **fields):
    fields.setdefault("procedure_code", "99213")
    fields.setdefault("service_date", date(DAY))
    return billing.charges.CreateCharge(charge_pb.CreateChargeRequest(
        parent=f"accounts/{patient_id}", charge=charge_pb2.Charge(**fields),
        request_id=request_id)).charge


def _refused(call, code, expected_reason=None):
    with pytest.raises(grpc.RpcError) as refused:
        call()
    assert refused.value.code() == code
    if expected_reason:
        assert reason(refused.value) == expected_reason
    return refused.value


def _balance(billing, patient_id="p1"):
    account = billing.accounts.GetAccount(
        account_pb.GetAccountRequest(name=f"accounts/{patient_id}")).account
    return account.patient_balance_cents, account.insurance_balance_cents


def test_manual_charge_without_coverage_is_self_pay_and_announced(billing):
    billing.register("p1")
    charge = _create(billing, procedure_code="99214", location_id="carlsbad")
    assert charge == billing.charges.GetCharge(charge_pb.GetChargeRequest(name=charge.name)).charge
    assert (charge.source, charge.responsibility, charge.amount_cents, charge.state) == (
        charge_pb2.CHARGE_SOURCE_MANUAL, charge_pb2.RESPONSIBILITY_PATIENT, 17500,
        charge_pb2.CHARGE_STATE_POSTED)
    assert _balance(billing) == (17500, 0)
    events = outbox_events(billing.runtime)
    assert [(key, type(e).__name__) for key, e in events] == \
        [("p1", "ChargePosted"), ("p1", "AccountBalanceChanged")]
    assert events[0][1].charge_id == charge.charge_id


def test_manual_charge_with_active_coverage_goes_to_the_payer_with_its_allowed_amount(billing):
    billing.cover("p1", "cov-1", "60054")
    billing.contract("90868", "60054", 21000)
    charge = _create(billing, procedure_code="90868", units=2)
    assert (charge.responsibility, charge.payer_id, charge.amount_cents, charge.allowed_cents) == \
        (charge_pb2.RESPONSIBILITY_INSURANCE, "60054", 60000, 42000)
    assert _balance(billing) == (0, 60000)


def test_staff_may_make_an_insurable_service_self_pay(billing):
    billing.cover("p1", "cov-1", "60054")
    charge = _create(billing, procedure_code="90868",
                     responsibility=charge_pb2.RESPONSIBILITY_PATIENT)
    assert (charge.responsibility, charge.amount_cents, charge.payer_id) == \
        (charge_pb2.RESPONSIBILITY_PATIENT, 25000, "")


def test_manual_policy_fee_is_priced_by_configuration(start_billing):
    billing = start_billing(late_cancel_fee_cents=6100)
    billing.register("p1")
    assert _create(billing, procedure_code="LATE_CANCEL_FEE").amount_cents == 6100


def test_retry_with_the_same_request_id_posts_once(billing):
    billing.register("p1")
    first = _create(billing, request_id="r-1")
    second = _create(billing, request_id="r-1")
    assert first == second
    assert row_counts(billing.runtime)["charges"] == 1
    assert len(events_of(billing.runtime, billing_events.ChargePosted)) == 1


def test_request_id_reused_for_another_charge_is_refused(billing):
    billing.register("p1")
    _create(billing, request_id="r-1")
    _refused(lambda: _create(billing, request_id="r-1", procedure_code="99215"),
             grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


REFUSALS = [
    ("unknown_account", dict(patient_id="nobody"), grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND"),
    ("unknown_code", dict(procedure_code="12345"), grpc.StatusCode.FAILED_PRECONDITION,
     "PROCEDURE_NOT_IN_FEE_SCHEDULE"),
    ("insurance_without_coverage", dict(responsibility=charge_pb2.RESPONSIBILITY_INSURANCE),
     grpc.StatusCode.FAILED_PRECONDITION, "NO_ACTIVE_COVERAGE"),
    ("policy_fee_to_insurance", dict(procedure_code="NO_SHOW_FEE",
                                     responsibility=charge_pb2.RESPONSIBILITY_INSURANCE),
     grpc.StatusCode.FAILED_PRECONDITION, "POLICY_FEE_NOT_BILLABLE_TO_INSURANCE"),
    ("no_code", dict(procedure_code=" "), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    ("negative_units", dict(units=-2), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    ("drug_without_dose", dict(procedure_code="J3490"), grpc.StatusCode.INVALID_ARGUMENT,
     "INVALID_FIELD"),
    ("no_date", dict(service_date=None), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    ("future_date", dict(service_date=date(dt.date.today() + dt.timedelta(days=3))),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    ("impossible_date", dict(service_date=types_pb2.Date(year=2026, month=2, day=30)), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
]


@pytest.mark.parametrize("fields, code, expected",
                         [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refused_charge_leaves_nothing_behind(billing, fields, code, expected):
    billing.register("p1")
    before = row_counts(billing.runtime)
    _refused(lambda: _create(billing, request_id="r-1", **fields), code, expected)
    assert row_counts(billing.runtime) == before


def test_charge_to_a_merged_account_is_refused_with_the_survivor(billing):
    billing.deliver(intake.PatientMerged(merged_patient_id="dup", surviving_patient_id="keep"))
    before = row_counts(billing.runtime)
    error = _refused(lambda: _create(billing, patient_id="dup"),
                     grpc.StatusCode.FAILED_PRECONDITION, "ACCOUNT_MERGED")
    assert "keep" in error.details()
    assert row_counts(billing.runtime) == before


@pytest.mark.parametrize("parent", ["", "p1", "accounts/", "patients/p1"])
def test_malformed_parent_is_invalid(billing, parent):
    with pytest.raises(grpc.RpcError) as refused:
        billing.charges.CreateCharge(charge_pb.CreateChargeRequest(
            parent=parent, charge=charge_pb2.Charge(procedure_code="99213",
                                                    service_date=date(DAY))))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_missing_charge_is_invalid(billing):
    billing.register("p1")
    _refused(lambda: billing.charges.CreateCharge(charge_pb.CreateChargeRequest(parent="accounts/p1")),
             grpc.StatusCode.INVALID_ARGUMENT)


def test_unknown_charge_is_not_found(billing):
    _refused(lambda: billing.charges.GetCharge(charge_pb.GetChargeRequest(name="accounts/p1/charges/nope")),
             grpc.StatusCode.NOT_FOUND, "CHARGE_NOT_FOUND")


def test_s0013_prices_dates_of_service_up_to_2025_and_j0013_from_2026(billing):
    billing.register("p1")
    old = _create(billing, procedure_code="S0013", units=56,
                  service_date=date(dt.date(2025, 12, 31)))
    assert (old.procedure_code, old.amount_cents, old.drug.quantity) == ("S0013", 78400, "2")
    _refused(lambda: _create(billing, procedure_code="S0013", units=56,
                             service_date=date(dt.date(2026, 1, 1))),
             grpc.StatusCode.FAILED_PRECONDITION, "PROCEDURE_NOT_IN_FEE_SCHEDULE")
    _refused(lambda: _create(billing, procedure_code="J0013", units=56,
                             service_date=date(dt.date(2025, 12, 31))),
             grpc.StatusCode.FAILED_PRECONDITION, "PROCEDURE_NOT_IN_FEE_SCHEDULE")
    new = _create(billing, procedure_code="J0013", units=56, service_date=date(DAY))
    assert (new.procedure_code, new.drug.ndc, new.drug.unit_of_measure) == \
        ("J0013", "50458-0028-02", "UN")


def test_a_charge_named_under_another_account_is_not_found(billing):
    billing.register("p1")
    billing.register("p2")
    charge = _create(billing)
    other = charge.name.replace("accounts/p1/", "accounts/p2/")
    _refused(lambda: billing.charges.GetCharge(charge_pb.GetChargeRequest(name=other)),
             grpc.StatusCode.NOT_FOUND, "CHARGE_NOT_FOUND")
    _refused(lambda: billing.charges.VoidCharge(charge_pb.VoidChargeRequest(
        name=other, reason="typo")), grpc.StatusCode.NOT_FOUND, "CHARGE_NOT_FOUND")
