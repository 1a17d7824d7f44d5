"""Self-pay prices, list prices and policy fees set over FeeScheduleService, on SQLite and PostgreSQL:
versions by first date of service (history, never edited), what charges they price,
retries, refusals."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import fee_schedule_pb2 as fee
from clinic.billing.v1 import fee_schedule_service_pb2 as pb
from clinic.scheduling.v1 import events_pb2 as scheduling
from clinic_common.identity import Role
from clinic_common.protoconv import timestamp
from clinic_devtools.testing import auth
from google.protobuf.field_mask_pb2 import FieldMask

from tests.billing.flow import AS_BILLING
from tests.billing.support import completed, date, reason, row_counts

TODAY = dt.date.today()


def set_price(billing, code, cents, day, *, paths=("self_pay_price_cents",), metadata=AS_BILLING,
              **kw):
    return billing.fee_schedule.UpdateFeeScheduleEntry(pb.UpdateFeeScheduleEntryRequest(
        entry=fee.FeeScheduleEntry(name=f"feeScheduleEntries/{code}",
                                   self_pay_price_cents=cents, list_price_cents=cents),
        update_mask=FieldMask(paths=list(paths)),
        effective_date=date(day) if day else None, **kw), metadata=metadata)


def set_fee(billing, name, cents, day, **kw):
    return billing.fee_schedule.UpdatePolicyFee(pb.UpdatePolicyFeeRequest(
        policy_fee=fee.PolicyFee(name=f"policyFees/{name}", amount_cents=cents),
        update_mask=FieldMask(paths=["amount_cents"]), effective_date=date(day), **kw),
        metadata=AS_BILLING)


def history(billing, code):
    return [(v.amount_cents, v.effective_date.month, v.effective_date.day)
            for v in billing.fee_schedule.ListPriceVersions(pb.ListPriceVersionsRequest(
                parent=f"feeScheduleEntries/{code}")).price_versions]


def amounts(billing, appointment):
    return [c.amount_cents for c in billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/-", appointment_id=appointment)).charges]


def entry(billing, code):
    return billing.fee_schedule.GetFeeScheduleEntry(pb.GetFeeScheduleEntryRequest(
        name=f"feeScheduleEntries/{code}")).entry


def test_a_self_pay_price_applies_from_its_date_and_the_old_one_before(billing):
    billing.register("p1")  # no coverage: self-pay
    first = set_price(billing, "99213", 13500, dt.date(2026, 3, 15), request_id="price-1")
    assert first.price_version.create_staff_id == "biller-9"
    assert first.price_version.name.startswith("feeScheduleEntries/99213/priceVersions/")
    assert first.entry.self_pay_price_cents == 13500
    assert set_price(billing, "99213", 13500, dt.date(2026, 3, 15),
                     request_id="price-1") == first  # a retry adds nothing
    set_price(billing, "99213", 14000, dt.date(2026, 4, 1))
    billing.deliver(completed("a1", "p1", dt.date(2026, 3, 10), ("99213", 1)))
    billing.deliver(completed("a2", "p1", dt.date(2026, 3, 20), ("99213", 1)))
    billing.deliver(completed("a3", "p1", dt.date(2026, 4, 2), ("99213", 2)))
    assert (amounts(billing, "a1"), amounts(billing, "a2"), amounts(billing, "a3")) == \
        ([12500], [13500], [28000])  # the seeded price, then each version from its date
    assert history(billing, "99213") == [(13500, 3, 15), (14000, 4, 1)]
    # A correction for the same date is a new version that wins; the first one stays.
    set_price(billing, "99213", 13900, dt.date(2026, 4, 1))
    assert history(billing, "99213") == [(13500, 3, 15), (14000, 4, 1), (13900, 4, 1)]
    assert entry(billing, "99213").self_pay_price_cents == 13900  # in force today
    paged, token = [], ""
    while True:  # a page at a time, the same order
        page = billing.fee_schedule.ListPriceVersions(pb.ListPriceVersionsRequest(
            parent="feeScheduleEntries/99213", page_size=1, page_token=token))
        paged += [v.amount_cents for v in page.price_versions]
        if not (token := page.next_page_token):
            break
    assert paged == [13500, 14000, 13900]
    set_price(billing, "99213", 20000, TODAY + dt.timedelta(days=30))
    assert entry(billing, "99213").self_pay_price_cents == 13900  # not yet
    assert entry(billing, "99213").list_price_cents == 15000  # untouched


def test_a_list_price_prices_insurance_charges_from_its_date(billing):
    billing.register("p1")
    billing.cover("p1", "cov-1", "AETNA")  # in force since 2025: 99213 goes to insurance
    billing.register("p2")  # self-pay
    first = set_price(billing, "99213", 16000, dt.date(2026, 3, 15), request_id="list-1",
                      paths=("list_price_cents",))
    assert (first.price_version.price_kind, first.price_version.amount_cents) == \
        (fee.PRICE_KIND_LIST, 16000)
    # The entry at its prices on that date: the new list price, the self-pay price kept.
    assert (first.entry.list_price_cents, first.entry.self_pay_price_cents) == (16000, 12500)
    assert set_price(billing, "99213", 16000, dt.date(2026, 3, 15), request_id="list-1",
                     paths=("list_price_cents",)) == first  # a retry adds nothing
    set_price(billing, "99213", 13000, dt.date(2026, 3, 1))  # a self-pay version, apart
    billing.deliver(completed("a1", "p1", dt.date(2026, 3, 10), ("99213", 1)))
    billing.deliver(completed("a2", "p1", dt.date(2026, 3, 20), ("99213", 2)))
    billing.deliver(completed("a3", "p2", dt.date(2026, 3, 20), ("99213", 1)))
    assert (amounts(billing, "a1"), amounts(billing, "a2"), amounts(billing, "a3")) == \
        ([15000], [32000], [13000])  # the seeded list price, then the version's; self-pay apart
    kinds = [(v.price_kind, v.amount_cents) for v in billing.fee_schedule.ListPriceVersions(
        pb.ListPriceVersionsRequest(parent="feeScheduleEntries/99213")).price_versions]
    assert kinds == [(fee.PRICE_KIND_SELF_PAY, 13000), (fee.PRICE_KIND_LIST, 16000)]
    today = entry(billing, "99213")
    assert (today.list_price_cents, today.self_pay_price_cents) == (16000, 13000)


def test_policy_fees_are_set_from_a_date_and_override_the_settings(start_billing):
    billing = start_billing()
    fees = billing.fee_schedule.ListPolicyFees(pb.ListPolicyFeesRequest()).policy_fees
    assert [(f.name, f.amount_cents, f.HasField("effective_date")) for f in fees] == [
        ("policyFees/LATE_CANCEL_FEE", 5000, False), ("policyFees/NO_SHOW_FEE", 7500, False)]
    changed = set_fee(billing, "NO_SHOW_FEE", 9900, dt.date(2026, 3, 1), request_id="fee-1")
    assert (changed.policy_fee.amount_cents, changed.policy_fee.effective_date.day,
            changed.policy_fee.fee_schedule_entry) == (9900, 1, "feeScheduleEntries/NO_SHOW_FEE")
    set_fee(billing, "NO_SHOW_FEE", 0, dt.date(2026, 5, 1))
    for appointment, day in (("n1", dt.date(2026, 2, 20)), ("n2", dt.date(2026, 3, 11)),
                             ("n3", dt.date(2026, 5, 5))):
        billing.deliver(scheduling.AppointmentNoShow(
            appointment_id=appointment, patient_id="p1", location_id="carlsbad",
            start_time=timestamp(dt.datetime.combine(day, dt.time(18), dt.UTC))))
    assert (amounts(billing, "n1"), amounts(billing, "n2"), amounts(billing, "n3")) == \
        ([7500], [9900], [])  # the setting, the version, then no fee at all
    fees = {f.name: f for f in billing.fee_schedule.ListPolicyFees(
        pb.ListPolicyFeesRequest()).policy_fees}
    assert (fees["policyFees/NO_SHOW_FEE"].amount_cents,
            fees["policyFees/NO_SHOW_FEE"].effective_date.month) == (0, 5)
    assert fees["policyFees/LATE_CANCEL_FEE"].amount_cents == 5000
    assert history(billing, "NO_SHOW_FEE") == [(9900, 3, 1), (0, 5, 1)]
    assert entry(billing, "NO_SHOW_FEE").self_pay_price_cents == 0


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


def test_bad_changes_are_refused_and_change_nothing(billing):
    before = row_counts(billing.runtime)
    cases = [
        (lambda: set_price(billing, "99213", 100, TODAY, paths=()), "INVALID_FIELD"),
        (lambda: set_price(billing, "99213", 100, TODAY, paths=("description",)),
         "INVALID_FIELD"),
        (lambda: set_price(billing, "99213", 100, TODAY,
                           paths=("list_price_cents", "self_pay_price_cents")), "INVALID_FIELD"),
        (lambda: set_price(billing, "99213", 10**9, TODAY, paths=("list_price_cents",)),
         "INVALID_FIELD"),
        (lambda: set_price(billing, "NO_SHOW_FEE", 100, TODAY, paths=("list_price_cents",)),
         "INVALID_FIELD"),
        (lambda: set_price(billing, "99213", -1, TODAY), "INVALID_FIELD"),
        (lambda: set_price(billing, "99213", 100, None), "INVALID_FIELD"),
        (lambda: set_price(billing, "NO_SHOW_FEE", 100, TODAY), "INVALID_FIELD"),
        (lambda: set_price(billing, "99999", 100, TODAY), "FEE_SCHEDULE_ENTRY_NOT_FOUND"),
        (lambda: set_fee(billing, "99213", 100, TODAY), "POLICY_FEE_NOT_FOUND"),
        (lambda: set_fee(billing, "NO_SHOW_FEE", 10**9, TODAY), "INVALID_FIELD"),
        (lambda: set_price(billing, "99213", 100, TODAY, metadata=auth.metadata(
            Role.FRONT_DESK)), "ROLE_NOT_ALLOWED"),
    ]
    for call, why in cases:
        assert reason(refused(call)) == why
    assert row_counts(billing.runtime) == before
    set_price(billing, "99213", 100, TODAY, request_id="same")
    assert reason(refused(lambda: set_price(billing, "99213", 200, TODAY,
                                            request_id="same"))) == "REQUEST_ID_REUSED"
    assert reason(refused(lambda: billing.fee_schedule.ListPriceVersions(
        pb.ListPriceVersionsRequest(parent="feeScheduleEntries/99999")))) == \
        "FEE_SCHEDULE_ENTRY_NOT_FOUND"
    assert history(billing, "99213") == [(100, TODAY.month, TODAY.day)]  # the reuse added none
    after = row_counts(billing.runtime)
    assert after["price_versions"] == before["price_versions"] + 1
