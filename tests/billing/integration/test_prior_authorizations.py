"""Prior authorizations over gRPC on SQLite and PostgreSQL: recording them, completed visits
burning them down (once per charge, given back on a void), charges beyond them flagged and
announced, claims showing the flag, and the list of those about to run out."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import charge_pb2, payer_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import events_pb2 as billing_events
from clinic.billing.v1 import payer_service_pb2 as payer_pb
from clinic.billing.v1 import prior_authorization_pb2 as pa
from clinic.billing.v1 import prior_authorization_service_pb2 as pa_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from google.protobuf.field_mask_pb2 import FieldMask

from tests.billing.flow import AS_BILLING, DAY, draft
from tests.billing.support import completed, date, events_of, reason, row_counts

START, END = dt.date(2026, 3, 1), dt.date(2026, 5, 31)


def _authorize(billing, patient="p1", *, codes=("90868",), units=2, start=START, end=END,
               number="PA-1", **kw):
    return billing.authorizations.CreatePriorAuthorization(pa_pb.CreatePriorAuthorizationRequest(
        parent=f"accounts/{patient}", prior_authorization=pa.PriorAuthorization(
            payer_id="60054", authorization_number=number, procedure_codes=codes,
            units_authorized=units, start_date=date(start), end_date=date(end)), **kw),
        metadata=AS_BILLING).prior_authorization


def _get(billing, name):
    return billing.authorizations.GetPriorAuthorization(
        pa_pb.GetPriorAuthorizationRequest(name=name), metadata=AS_BILLING).prior_authorization


def _charges(billing, appointment):
    return list(billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1", appointment_id=appointment), metadata=AS_BILLING).charges)


@pytest.fixture
def tms(clinic):
    """p1 covered by 60054, with a TMS authorization of 2 units of 90868 in March-May."""
    return clinic, _authorize(clinic)


def test_an_authorization_is_recorded_read_listed_and_retried_by_request_id(tms):
    billing, created = tms
    assert (created.payer_id, list(created.procedure_codes), created.units_authorized,
            created.units_used, created.units_remaining, created.state,
            created.update_staff_id) == \
        ("60054", ["90868"], 2, 0, 2, pa.PRIOR_AUTHORIZATION_STATE_ACTIVE, "biller-9")
    assert created.name == f"accounts/p1/priorAuthorizations/{created.prior_authorization_id}"
    assert _get(billing, created.name) == created
    again = _authorize(billing, request_id="r-1")
    assert _authorize(billing, request_id="r-1") == again
    listed = billing.authorizations.ListPriorAuthorizations(
        pa_pb.ListPriorAuthorizationsRequest(parent="accounts/-", page_size=1),
        metadata=AS_BILLING)
    assert len(listed.prior_authorizations) == 1 and listed.next_page_token


def test_completed_visits_burn_the_units_and_the_one_past_them_is_flagged(tms):
    billing, created = tms
    for n in (1, 2, 3):
        assert billing.deliver(completed(f"t{n}", "p1", DAY + dt.timedelta(days=n),
                                         ("90868", 1))) == "handled"
    assert _get(billing, created.name).units_used == 3
    assert _get(billing, created.name).units_remaining == -1
    first, third = _charges(billing, "t1")[0], _charges(billing, "t3")[0]
    assert (first.prior_authorization, first.authorization_problem) == \
        (created.name, charge_pb2.AUTHORIZATION_PROBLEM_UNSPECIFIED)
    assert third.authorization_problem == charge_pb2.AUTHORIZATION_PROBLEM_EXHAUSTED
    assert "0 of 2" in third.authorization_problem_detail
    flagged = events_of(billing.runtime, billing_events.ChargeBeyondAuthorization)
    assert [(e.charge_id, e.problem, e.prior_authorization_id) for e in flagged] == \
        [(third.charge_id, charge_pb2.AUTHORIZATION_PROBLEM_EXHAUSTED,
          created.prior_authorization_id)]


def test_a_redelivered_visit_burns_once(tms):
    billing, created = tms
    visit = completed("t1", "p1", DAY, ("90868", 1))
    billing.deliver(visit, event_id="e-1")
    billing.deliver(visit, event_id="e-1")
    billing.deliver(visit, event_id="e-2")  # the same visit announced again
    assert _get(billing, created.name).units_used == 1
    assert row_counts(billing.runtime)["prior_authorization_uses"] == 1


def test_a_voided_charge_gives_its_units_back_once(tms):
    billing, created = tms
    billing.deliver(completed("t1", "p1", DAY, ("90868", 1)))
    charge = _charges(billing, "t1")[0]
    billing.charges.VoidCharge(charge_pb.VoidChargeRequest(name=charge.name, reason="wrong day"),
                               metadata=AS_BILLING)
    with pytest.raises(grpc.RpcError):
        billing.charges.VoidCharge(charge_pb.VoidChargeRequest(name=charge.name, reason="again"),
                                   metadata=AS_BILLING)
    assert _get(billing, created.name).units_used == 0


def test_a_visit_outside_the_dates_is_flagged_and_burns_nothing(tms):
    billing, created = tms
    billing.deliver(completed("t1", "p1", END + dt.timedelta(days=1), ("90868", 1)))
    assert _charges(billing, "t1")[0].authorization_problem == \
        charge_pb2.AUTHORIZATION_PROBLEM_OUT_OF_RANGE
    assert _get(billing, created.name).units_used == 0


def test_a_code_the_payer_requires_authorization_for_is_flagged_and_the_claim_shows_it(clinic):
    clinic.payers.UpdatePayer(payer_pb.UpdatePayerRequest(
        payer=payer_pb2.Payer(name="payers/60054", prior_authorization_codes=["90867"]),
        update_mask=FieldMask(paths=["prior_authorization_codes"])), metadata=AS_BILLING)
    clinic.deliver(completed("t1", "p1", DAY + dt.timedelta(days=1), ("90867", 1),
                             ("99213", 1)))
    lines = _charges(clinic, "t1")
    assert [c.authorization_problem for c in lines] == \
        [charge_pb2.AUTHORIZATION_PROBLEM_MISSING, charge_pb2.AUTHORIZATION_PROBLEM_UNSPECIFIED]
    claim = draft(clinic, "p1", "t1")
    assert [(i.charge, i.problem) for i in claim.authorization_issues] == \
        [(lines[0].name, charge_pb2.AUTHORIZATION_PROBLEM_MISSING)]


def test_a_charge_by_hand_burns_too(tms):
    billing, created = tms
    billing.charges.CreateCharge(charge_pb.CreateChargeRequest(
        parent="accounts/p1", charge=charge_pb2.Charge(procedure_code="90868", units=1,
                                                       service_date=date(DAY))),
        metadata=AS_BILLING)
    assert _get(billing, created.name).units_used == 1


def test_update_changes_the_masked_fields_and_refuses_units_below_used(tms):
    billing, created = tms
    billing.deliver(completed("t1", "p1", DAY, ("90868", 1)))
    changed = billing.authorizations.UpdatePriorAuthorization(
        pa_pb.UpdatePriorAuthorizationRequest(
            prior_authorization=pa.PriorAuthorization(name=created.name, units_authorized=10,
                                                      end_date=date(dt.date(2026, 8, 31)),
                                                      authorization_number="ignored"),
            update_mask=FieldMask(paths=["units_authorized", "end_date"])),
        metadata=AS_BILLING).prior_authorization
    assert (changed.units_authorized, changed.units_remaining, changed.end_date.month,
            changed.authorization_number) == (10, 9, 8, "PA-1")
    with pytest.raises(grpc.RpcError) as refused:
        billing.authorizations.UpdatePriorAuthorization(pa_pb.UpdatePriorAuthorizationRequest(
            prior_authorization=pa.PriorAuthorization(name=created.name, units_authorized=0),
            update_mask=FieldMask(paths=["units_authorized"])), metadata=AS_BILLING)
    assert reason(refused.value) == "INVALID_FIELD"


def test_a_void_authorization_burns_nothing_more(tms):
    billing, created = tms
    voided = billing.authorizations.VoidPriorAuthorization(pa_pb.VoidPriorAuthorizationRequest(
        name=created.name, reason="payer revoked it"), metadata=AS_BILLING).prior_authorization
    assert (voided.state, voided.void_reason) == \
        (pa.PRIOR_AUTHORIZATION_STATE_VOID, "payer revoked it")
    billing.deliver(completed("t1", "p1", DAY, ("90868", 1)))
    assert _get(billing, created.name).units_used == 0
    with pytest.raises(grpc.RpcError) as refused:
        billing.authorizations.VoidPriorAuthorization(pa_pb.VoidPriorAuthorizationRequest(
            name=created.name, reason="again"), metadata=AS_BILLING)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "PRIOR_AUTHORIZATION_VOID")


@pytest.mark.parametrize("parent, codes, why", [
    ("accounts/nobody", ("90868",), "ACCOUNT_NOT_FOUND"),
    ("accounts/p1", ("A9999",), "PROCEDURE_NOT_IN_FEE_SCHEDULE"),
    ("accounts/p1", ("9086",), "INVALID_FIELD"),
])
def test_refused_authorizations_change_nothing(clinic, parent, codes, why):
    before = row_counts(clinic.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        _authorize(clinic, parent.split("/")[1], codes=codes)
    assert reason(refused.value) == why
    assert row_counts(clinic.runtime) == before


def test_the_front_desk_reads_but_does_not_record_authorizations(tms):
    billing, created = tms
    desk = auth.metadata(Role.FRONT_DESK)
    assert billing.authorizations.GetPriorAuthorization(
        pa_pb.GetPriorAuthorizationRequest(name=created.name), metadata=desk)
    with pytest.raises(grpc.RpcError) as refused:
        billing.authorizations.CreatePriorAuthorization(pa_pb.CreatePriorAuthorizationRequest(
            parent="accounts/p1", prior_authorization=created), metadata=desk)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_expiring_list_shows_few_units_left_or_ending_soon_a_page_at_a_time(clinic):
    as_of = dt.date(2026, 3, 10)
    low = _authorize(clinic, number="LOW", units=2)  # 2 left, ends 05-31
    soon = _authorize(clinic, number="SOON", units=20, end=dt.date(2026, 3, 20))
    _authorize(clinic, number="PLENTY", units=20)  # neither
    _authorize(clinic, number="ENDED", units=1, end=dt.date(2026, 3, 9))  # over already
    voided = _authorize(clinic, number="VOID", units=1)
    clinic.authorizations.VoidPriorAuthorization(pa_pb.VoidPriorAuthorizationRequest(
        name=voided.name, reason="duplicate"), metadata=AS_BILLING)
    seen, token = [], ""
    while True:
        page = clinic.authorizations.ListExpiringPriorAuthorizations(
            pa_pb.ListExpiringPriorAuthorizationsRequest(
                parent="accounts/-", as_of=date(as_of), units_remaining_at_most=2,
                ending_within_days=14, page_size=1, page_token=token), metadata=AS_BILLING)
        assert len(page.prior_authorizations) <= 1
        seen += [a.authorization_number for a in page.prior_authorizations]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["SOON", "LOW"]
    assert [a.name for a in clinic.authorizations.ListExpiringPriorAuthorizations(
        pa_pb.ListExpiringPriorAuthorizationsRequest(
            parent="accounts/p1", as_of=date(as_of), units_remaining_at_most=0,
            ending_within_days=14), metadata=AS_BILLING).prior_authorizations] == [soon.name]
    assert low.units_remaining == 2


def test_a_merge_moves_the_authorizations_to_the_survivor(tms):
    billing, created = tms
    from clinic.intake.v1 import events_pb2 as intake
    assert billing.deliver(intake.PatientMerged(merged_patient_id="p1",
                                                surviving_patient_id="p2")) == "handled"
    moved = billing.authorizations.ListPriorAuthorizations(
        pa_pb.ListPriorAuthorizationsRequest(parent="accounts/p2"),
        metadata=AS_BILLING).prior_authorizations
    assert [a.prior_authorization_id for a in moved] == [created.prior_authorization_id]




def test_the_837p_names_the_prior_authorizations_the_lines_used(tms):
    from tests.billing.flow import export, ready
    from tests.billing.integration.test_claim_export import assert_valid_837
    billing, _ = tms
    _authorize(billing, codes=("99213",), number="PA-EM", units=5)
    assert billing.deliver(completed("t1", "p1", DAY, ("90868", 1), ("99213", 1))) == "handled"
    text = export(billing, ready(billing, draft(billing, "p1", "t1"))).content
    assert_valid_837(text)
    text = text.decode()
    claim_level = text[text.index("CLM*"):text.index("HI*")]
    assert "REF*G1*PA-1~" in claim_level  # the first line's, for the claim
    second_line = text[text.index("LX*2~"):]
    assert "REF*G1*PA-EM~" in second_line  # the line that used another one says so
    assert text.count("REF*G1*") == 2


@pytest.mark.parametrize("paths", [[], ["units_used"], ["payer_id"]])
def test_an_update_names_only_fields_that_can_change(tms, paths):
    billing, created = tms
    with pytest.raises(grpc.RpcError) as refused:
        billing.authorizations.UpdatePriorAuthorization(pa_pb.UpdatePriorAuthorizationRequest(
            prior_authorization=pa.PriorAuthorization(name=created.name, units_used=9,
                                                      payer_id="other"),
            update_mask=FieldMask(paths=paths)), metadata=AS_BILLING)
    assert reason(refused.value) == "INVALID_FIELD"
    assert _get(billing, created.name) == created


def _require(billing, *codes):
    billing.payers.UpdatePayer(payer_pb.UpdatePayerRequest(
        payer=payer_pb2.Payer(name="payers/60054", prior_authorization_codes=codes),
        update_mask=FieldMask(paths=["prior_authorization_codes"])), metadata=AS_BILLING)


def test_a_retro_authorization_takes_the_flagged_charges_in_date_order_up_to_its_units(clinic):
    _require(clinic, "90868")
    for n in (3, 1, 2):
        clinic.deliver(completed(f"t{n}", "p1", DAY + dt.timedelta(days=n), ("90868", 1)))
    clinic.deliver(completed("late", "p1", END + dt.timedelta(days=1), ("90868", 1)))
    created = _authorize(clinic, units=2)
    assert _get(clinic, created.name).units_used == 2
    took = [_charges(clinic, f"t{n}")[0] for n in (1, 2)]
    assert [(c.prior_authorization, c.authorization_problem, c.authorization_problem_detail)
            for c in took] == [(created.name, charge_pb2.AUTHORIZATION_PROBLEM_UNSPECIFIED, "")] * 2
    assert _charges(clinic, "t3")[0].authorization_problem == \
        charge_pb2.AUTHORIZATION_PROBLEM_MISSING
    assert _charges(clinic, "late")[0].authorization_problem == \
        charge_pb2.AUTHORIZATION_PROBLEM_MISSING
    # A void gives the retro use back, once.
    clinic.charges.VoidCharge(charge_pb.VoidChargeRequest(name=took[0].name, reason="wrong"),
                              metadata=AS_BILLING)
    assert _get(clinic, created.name).units_used == 1


def test_extending_an_authorization_clears_the_charges_that_went_past_it(tms):
    billing, created = tms
    for n in (1, 2, 3, 4):
        billing.deliver(completed(f"t{n}", "p1", DAY + dt.timedelta(days=n), ("90868", 1)))
    assert _get(billing, created.name).units_used == 4
    billing.authorizations.UpdatePriorAuthorization(pa_pb.UpdatePriorAuthorizationRequest(
        prior_authorization=pa.PriorAuthorization(name=created.name, units_authorized=3),
        update_mask=FieldMask(paths=["units_authorized"])), metadata=AS_BILLING)
    assert (_get(billing, created.name).units_used, _get(billing, created.name).units_remaining) \
        == (4, -1)
    assert [_charges(billing, f"t{n}")[0].authorization_problem for n in (3, 4)] == \
        [charge_pb2.AUTHORIZATION_PROBLEM_UNSPECIFIED, charge_pb2.AUTHORIZATION_PROBLEM_EXHAUSTED]


def test_a_second_authorization_takes_over_a_charge_that_went_past_the_first(tms):
    billing, first = tms
    for n in (1, 2, 3):
        billing.deliver(completed(f"t{n}", "p1", DAY + dt.timedelta(days=n), ("90868", 1)))
    second = _authorize(billing, units=5, number="PA-2")
    third = _charges(billing, "t3")[0]
    assert (third.prior_authorization, third.authorization_problem) == \
        (second.name, charge_pb2.AUTHORIZATION_PROBLEM_UNSPECIFIED)
    assert (_get(billing, first.name).units_used, _get(billing, second.name).units_used) == (2, 1)
