"""Prior authorizations: which one a charge burns, when a charge is beyond it, and the
record's own checks."""

import datetime as dt

import pytest
from clinic_billing.domain.authorization import (
    AuthorizationProblem,
    PriorAuthorization,
    check_charge,
    retro_take,
)
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim
from clinic_billing.domain.model import ChargeSource, Responsibility
from clinic_common.errors import ClinicError

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
START, END = dt.date(2026, 3, 1), dt.date(2026, 5, 31)


def auth(number="PA-1", *, codes=("90868",), units=30, used=0, start=START, end=END,
         auth_id=None):
    a = PriorAuthorization.create(patient_id="p1", payer_id="60054", authorization_number=number,
                                  procedure_codes=list(codes), units_authorized=units,
                                  start_date=start, end_date=end, note="", actor="biller-1",
                                  now=NOW)
    a.units_used = used
    if auth_id:
        a.prior_authorization_id = auth_id
    return a


def check(auths, *, code="90868", day=dt.date(2026, 3, 10), units=1, required=False):
    return check_charge(auths, procedure_code=code, service_date=day, units=units,
                        required=required)


def test_a_charge_in_range_uses_the_authorization_without_a_problem():
    a = auth()
    result = check([a])
    assert (result.authorization, result.units, result.problem) == (a, 1, None)


def test_zero_units_count_as_one_service():
    assert check([auth()], units=0).units == 1


@pytest.mark.parametrize("day", [START, END])
def test_both_ends_of_the_range_are_covered(day):
    assert check([auth()], day=day).problem is None


@pytest.mark.parametrize("day", [START - dt.timedelta(days=1), END + dt.timedelta(days=1)])
def test_a_charge_outside_the_dates_is_out_of_range_and_burns_nothing(day):
    result = check([auth()], day=day)
    assert (result.authorization, result.problem) == (None, AuthorizationProblem.OUT_OF_RANGE)
    assert "PA-1" in result.detail


def test_a_charge_past_the_units_is_exhausted_and_still_burns_them():
    a = auth(units=30, used=30)
    result = check([a])
    assert (result.authorization, result.units, result.problem) == \
        (a, 1, AuthorizationProblem.EXHAUSTED)
    assert "0 of 30" in result.detail


def test_a_charge_needing_more_units_than_are_left_is_exhausted():
    assert check([auth(units=30, used=29)], code="90868", units=2).problem == \
        AuthorizationProblem.EXHAUSTED


def test_the_first_to_end_with_units_left_is_used():
    used_up = auth("PA-A", used=30, end=dt.date(2026, 4, 1), auth_id="a")
    later = auth("PA-B", end=dt.date(2026, 6, 30), auth_id="b")
    sooner = auth("PA-C", end=dt.date(2026, 4, 30), auth_id="c")
    assert check([later, used_up, sooner]).authorization is sooner


def test_a_code_the_authorization_does_not_cover_burns_nothing():
    result = check([auth(codes=("90868",))], code="90867")
    assert (result.authorization, result.problem) == (None, None)


def test_a_code_the_payer_requires_an_authorization_for_is_missing_without_one():
    result = check([auth(codes=("90868",))], code="90867", required=True)
    assert (result.authorization, result.problem) == (None, AuthorizationProblem.MISSING)


def test_a_void_authorization_counts_as_none():
    a = auth()
    a.void("entered twice", actor="biller-1", now=NOW)
    assert check([a], required=True).problem == AuthorizationProblem.MISSING


def test_burning_and_giving_back_move_the_units_remaining():
    a = auth(units=3)
    a.burn(2)
    assert (a.units_used, a.units_remaining) == (2, 1)
    a.give_back(2)
    assert a.units_remaining == 3


@pytest.mark.parametrize("changes, why", [
    (dict(number=""), "INVALID_FIELD"),
    (dict(number="PA*1"), "INVALID_FIELD"),
    (dict(codes=()), "INVALID_FIELD"),
    (dict(codes=("9086",)), "INVALID_FIELD"),
    (dict(codes=("90868", "90868")), "INVALID_FIELD"),
    (dict(units=0), "INVALID_FIELD"),
    (dict(end=START - dt.timedelta(days=1)), "INVALID_FIELD"),
])
def test_a_malformed_authorization_is_refused(changes, why):
    with pytest.raises(ClinicError) as refused:
        auth(**changes)
    assert refused.value.reason == why


def test_units_are_not_lowered_below_what_charges_used():
    a = auth(units=10, used=6)
    with pytest.raises(ClinicError) as refused:
        a.change(units_authorized=5, actor="biller-1", now=NOW)
    assert refused.value.reason == "AUTHORIZATION_UNITS_BELOW_USED"
    a.change(units_authorized=6, actor="biller-1", now=NOW)
    assert a.units_authorized == 6


def test_a_void_authorization_is_not_changed_or_voided_again():
    a = auth()
    a.void("revoked by the payer", actor="biller-1", now=NOW)
    for attempt in (lambda: a.change(note="x", actor="b", now=NOW),
                    lambda: a.void("again", actor="b", now=NOW)):
        with pytest.raises(ClinicError) as refused:
            attempt()
        assert refused.value.reason == "PRIOR_AUTHORIZATION_VOID"


def test_a_claim_shows_its_lines_beyond_authorization():
    def charge(charge_id, problem=""):
        return Charge(patient_id="p1", source=ChargeSource.VISIT, procedure_code="90868",
                      units=1, service_date=START, responsibility=Responsibility.INSURANCE,
                      amount_cents=30000, payer_id="60054", coverage_id="cov-1", posted_at=NOW,
                      charge_id=charge_id, authorization_problem=problem,
                      authorization_problem_detail="why" if problem else "")
    claim = Claim.build("p1", [charge("c1"), charge("c2", "EXHAUSTED")], actor="b", now=NOW)
    assert claim.authorization_issues == [
        {"charge_id": "c2", "problem": "EXHAUSTED", "detail": "why"}]


def flagged(day, *, units=1, code="90868", used=""):
    return Charge(patient_id="p1", source=ChargeSource.VISIT, procedure_code=code, units=units,
                  service_date=day, responsibility=Responsibility.INSURANCE, amount_cents=100,
                  payer_id="60054", posted_at=NOW, prior_authorization_id=used,
                  authorization_problem="MISSING")


def test_a_retro_authorization_takes_flagged_charges_in_date_order_up_to_its_units():
    a = auth(units=2)
    first, second, third = (flagged(dt.date(2026, 3, d)) for d in (2, 3, 4))
    assert retro_take(a, [first, second, third]) == [first, second]
    assert a.units_used == 2


def test_a_retro_authorization_skips_other_codes_dates_and_a_charge_too_big_for_what_is_left():
    a = auth(units=3)
    other_code = flagged(dt.date(2026, 3, 2), code="90867")
    outside = flagged(END + dt.timedelta(days=1))
    big, small = flagged(dt.date(2026, 3, 3), units=5), flagged(dt.date(2026, 3, 4), units=2)
    assert retro_take(a, [other_code, outside, big, small]) == [small]
    assert a.units_used == 2


def test_an_extended_authorization_takes_back_the_charges_that_went_past_it():
    a = auth(units=2, used=4, auth_id="A1")  # two charges fitted, two went past it
    past = [flagged(dt.date(2026, 3, d), used="A1") for d in (5, 6)]
    a.units_authorized = 3
    assert retro_take(a, past) == [past[0]]
    assert a.units_used == 4  # the one still past is counted as before


def test_a_void_authorization_takes_nothing_back():
    a = auth()
    a.void("payer revoked it", actor="biller-1", now=NOW)
    assert retro_take(a, [flagged(dt.date(2026, 3, 2))]) == []
