"""ListFeeSchedule and GetFeeScheduleEntry over a real gRPC socket, on SQLite and PostgreSQL."""

import grpc
import pytest
from clinic.billing.v1 import fee_schedule_pb2
from clinic.billing.v1 import fee_schedule_service_pb2 as fee_pb

from tests.billing.support import reason

DOMAIN_CODES = {"90791", "90792", "99212", "99213", "99214", "99215", "96365", "96366", "J3490",
                "G2082", "G2083", "S0013", "J0013", "90867", "90868", "90869", "NO_SHOW_FEE",
                "LATE_CANCEL_FEE"}


def _entry(billing, code):
    return billing.fee_schedule.GetFeeScheduleEntry(
        fee_pb.GetFeeScheduleEntryRequest(name=f"feeScheduleEntries/{code}")).entry


def test_the_seeded_schedule_pages_through_every_domain_code_in_code_order(billing):
    seen, token = [], ""
    while True:
        page = billing.fee_schedule.ListFeeScheduleEntries(fee_pb.ListFeeScheduleEntriesRequest(page_size=5,
                                                                      page_token=token))
        seen += [e.procedure_code for e in page.entries]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(seen)
    assert set(seen) == DOMAIN_CODES


def test_ketamine_is_self_pay_per_milligram_and_spravato_goes_to_insurance(billing):
    ketamine, spravato = _entry(billing, "J3490"), _entry(billing, "G2082")
    assert (ketamine.unit, ketamine.insurance_billable) == \
        (fee_schedule_pb2.BILLING_UNIT_MILLIGRAM, False)
    assert (spravato.unit, spravato.insurance_billable) == \
        (fee_schedule_pb2.BILLING_UNIT_SERVICE, True)
    assert spravato.name == "feeScheduleEntries/G2082"


def test_policy_fees_show_the_configured_amounts(start_billing):
    billing = start_billing(no_show_fee_cents=8800, late_cancel_fee_cents=4400)
    no_show, late = _entry(billing, "NO_SHOW_FEE"), _entry(billing, "LATE_CANCEL_FEE")
    assert (no_show.kind, no_show.self_pay_price_cents) == (fee_schedule_pb2.FEE_KIND_POLICY, 8800)
    assert late.self_pay_price_cents == 4400
    listed = {e.procedure_code: e for e in billing.fee_schedule.ListFeeScheduleEntries(
        fee_pb.ListFeeScheduleEntriesRequest(page_size=100)).entries}
    assert listed["NO_SHOW_FEE"].self_pay_price_cents == 8800


def test_the_default_policy_fees_follow_the_domain_defaults(billing):
    assert _entry(billing, "NO_SHOW_FEE").self_pay_price_cents == 7500
    assert _entry(billing, "LATE_CANCEL_FEE").self_pay_price_cents == 5000


def test_an_entry_lists_its_payer_contracts(billing):
    billing.contract("90868", "60054", 21000)
    billing.contract("90868", "87726", 19500)
    rates = _entry(billing, "90868").contracted_rates
    assert [(r.payer_id, r.allowed_cents) for r in rates] == [("60054", 21000), ("87726", 19500)]


def test_an_unknown_code_is_not_found(billing):
    with pytest.raises(grpc.RpcError) as refused:
        _entry(billing, "00000")
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason(refused.value) == "FEE_SCHEDULE_ENTRY_NOT_FOUND"


def test_a_malformed_entry_name_is_invalid(billing):
    with pytest.raises(grpc.RpcError) as refused:
        billing.fee_schedule.GetFeeScheduleEntry(fee_pb.GetFeeScheduleEntryRequest(name="90868"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
