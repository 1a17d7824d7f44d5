"""Contracted rates over PayerService, and the allowed amounts they give charges."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import charge_pb2, fee_schedule_pb2, payer_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import payer_service_pb2 as pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from google.protobuf.field_mask_pb2 import FieldMask

from tests.billing.support import date, reason, row_counts

AS_BILLING = auth.metadata(Role.BILLING, sub="biller-3")
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def payer(billing):
    billing.payers.CreatePayer(pb.CreatePayerRequest(
        payer_id="60054", payer=payer_pb2.Payer(display_name="Aetna",
                                                kind=payer_pb2.PAYER_KIND_COMMERCIAL)),
        metadata=AS_BILLING)
    return billing


def _rate(billing, code="90868", cents=21000, modifier="", start=None, end=None, **kw):
    rate = fee_schedule_pb2.ContractedRate(procedure_code=code, allowed_cents=cents,
                                           modifier=modifier)
    if start:
        rate.effective_from.CopyFrom(date(start))
    if end:
        rate.effective_to.CopyFrom(date(end))
    return billing.payers.CreateContractedRate(pb.CreateContractedRateRequest(
        parent="payers/60054", rate=rate, **kw), metadata=AS_BILLING).rate


def _charge(billing, code, units=1, day=DAY, modifiers=()):
    return billing.charges.CreateCharge(charge_pb.CreateChargeRequest(
        parent="accounts/p1", charge=charge_pb2.Charge(
            procedure_code=code, units=units, service_date=date(day), modifiers=modifiers)),
        metadata=AS_BILLING).charge


def test_a_rate_is_recorded_attributed_and_listed_under_its_payer(payer):
    created = _rate(payer, start=dt.date(2026, 1, 1))
    assert created.name.startswith("payers/60054/contractedRates/")
    assert (created.update_staff_id, created.allowed_cents) == ("biller-3", 21000)
    listed = payer.payers.ListContractedRates(pb.ListContractedRatesRequest(
        parent="payers/60054", procedure_code="90868"), metadata=AS_BILLING).rates
    assert list(listed) == [created]
    got = payer.payers.GetContractedRate(pb.GetContractedRateRequest(name=created.name),
                                         metadata=AS_BILLING).rate
    assert got == created


def test_charges_take_the_rate_in_force_on_their_date_and_for_their_modifier(payer):
    payer.register("p1")
    payer.cover("p1", "cov-1", "60054")
    _rate(payer, end=dt.date(2026, 1, 31))
    _rate(payer, cents=22000, start=dt.date(2026, 2, 1))
    _rate(payer, cents=20000, modifier="GT")
    assert _charge(payer, "90868", day=dt.date(2026, 1, 15)).allowed_cents == 21000
    assert _charge(payer, "90868", units=2).allowed_cents == 44000
    assert _charge(payer, "90868", modifiers=["GT"]).allowed_cents == 20000


def test_an_overlapping_period_is_refused_and_changes_nothing(payer):
    _rate(payer, start=dt.date(2026, 1, 1))
    before = row_counts(payer.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        _rate(payer, cents=1, start=dt.date(2026, 6, 1))
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "RATE_PERIOD_OVERLAPS")
    assert row_counts(payer.runtime) == before


@pytest.mark.parametrize("kw, code, why", [
    ({"code": "00000"}, grpc.StatusCode.FAILED_PRECONDITION, "PROCEDURE_NOT_IN_FEE_SCHEDULE"),
    ({"cents": -5}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    ({"modifier": "X"}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    ({"start": dt.date(2026, 2, 1), "end": dt.date(2026, 1, 1)},
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
])
def test_malformed_rates_are_refused(payer, kw, code, why):
    with pytest.raises(grpc.RpcError) as refused:
        _rate(payer, **kw)
    assert (refused.value.code(), reason(refused.value)) == (code, why)


def test_a_rate_for_an_unknown_payer_is_not_found(billing):
    with pytest.raises(grpc.RpcError) as refused:
        _rate(billing)
    assert reason(refused.value) == "PAYER_NOT_FOUND"


def test_a_rate_is_ended_by_update_and_a_payer_with_rates_is_kept(payer):
    rate = _rate(payer)
    rate.effective_to.CopyFrom(date(dt.date(2026, 6, 30)))
    updated = payer.payers.UpdateContractedRate(pb.UpdateContractedRateRequest(
        rate=rate, update_mask=FieldMask(paths=["effective_to"])), metadata=AS_BILLING).rate
    assert (updated.effective_to.year, updated.allowed_cents) == (2026, 21000)
    with pytest.raises(grpc.RpcError) as refused:
        payer.payers.DeletePayer(pb.DeletePayerRequest(name="payers/60054"), metadata=AS_BILLING)
    assert reason(refused.value) == "PAYER_HAS_CONTRACTED_RATES"
    payer.payers.DeleteContractedRate(pb.DeleteContractedRateRequest(name=rate.name),
                                      metadata=AS_BILLING)
    payer.payers.DeletePayer(pb.DeletePayerRequest(name="payers/60054"), metadata=AS_BILLING)
