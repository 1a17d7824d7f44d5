"""ClaimService over gRPC on SQLite and PostgreSQL: draft claims from charges."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import charge_pb2, claim_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import claim_service_pb2 as pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.billing.support import completed, date, reason, row_counts

DAY = dt.date(2026, 3, 10)
AS_BILLING = auth.metadata(Role.BILLING, sub="biller-9")


@pytest.fixture
def visited(billing):
    """p1 covered by 60054, with a follow-up and a TMS session on DAY, and one the day after."""
    billing.register("p1")
    billing.cover("p1", "cov-1", "60054")
    billing.contract("90867", "60054", 40000)
    billing.deliver(completed("a1", "p1", DAY, ("99213", 1), ("90867", 1)))
    billing.deliver(completed("a2", "p1", DAY + dt.timedelta(days=1), ("99214", 1)))
    return billing


def _charges(billing, appointment_id):
    return [c.name for c in billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1", appointment_id=appointment_id)).charges]


def _create(billing, charges, parent="accounts/p1", **kw):
    return billing.claims.CreateClaim(pb.CreateClaimRequest(parent=parent, charges=charges, **kw),
                                      metadata=AS_BILLING).claim


def test_a_draft_claim_is_built_from_one_date_of_service_and_read_back(visited):
    names = _charges(visited, "a1")
    claim = _create(visited, names)
    assert claim.name == f"accounts/p1/claims/{claim.claim_id}"
    assert (claim.state, list(claim.charges), claim.payer_id, claim.coverage_id) == \
        (claim_pb2.CLAIM_STATE_DRAFT, names, "60054", "cov-1")
    assert (claim.total_charge_cents, claim.total_allowed_cents) == (15000 + 50000, 40000)
    assert claim.update_staff_id == "biller-9"
    got = visited.claims.GetClaim(pb.GetClaimRequest(name=claim.name), metadata=AS_BILLING).claim
    assert got == claim
    listed = visited.claims.ListClaims(pb.ListClaimsRequest(
        parent="accounts/-", state=claim_pb2.CLAIM_STATE_DRAFT), metadata=AS_BILLING).claims
    assert list(listed) == [claim]


def test_a_create_retried_with_its_request_id_returns_the_first_claim(visited):
    first = _create(visited, _charges(visited, "a1"), request_id="c-1")
    assert _create(visited, _charges(visited, "a1"), request_id="c-1") == first


def test_a_charge_goes_on_one_claim_only_and_is_not_voided_under_it(visited):
    [first, _] = _charges(visited, "a1")
    claim = _create(visited, [first])
    before = row_counts(visited.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        _create(visited, [first])
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "CHARGE_ALREADY_CLAIMED")
    with pytest.raises(grpc.RpcError) as refused:
        visited.charges.VoidCharge(charge_pb.VoidChargeRequest(name=first, reason="typo"))
    assert reason(refused.value) == "CHARGE_ON_CLAIM"
    assert row_counts(visited.runtime) == before
    assert claim.claim_id


def test_refusals(visited):
    a1, a2 = _charges(visited, "a1"), _charges(visited, "a2")
    cases = [
        ([*a1, *a2], "accounts/p1", grpc.StatusCode.FAILED_PRECONDITION,
         "CHARGES_NOT_ON_ONE_CLAIM"),
        ([a1[0], a1[0]], "accounts/p1", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
        ([], "accounts/p1", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
        (["accounts/p1/charges/nope"], "accounts/p1", grpc.StatusCode.NOT_FOUND,
         "CHARGE_NOT_FOUND"),
        (a1, "accounts/p2", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
        (["accounts/p9/charges/x"], "accounts/p9", grpc.StatusCode.NOT_FOUND,
         "ACCOUNT_NOT_FOUND"),
    ]
    for charges, parent, code, why in cases:
        with pytest.raises(grpc.RpcError) as refused:
            _create(visited, charges, parent=parent)
        assert (refused.value.code(), reason(refused.value)) == (code, why), charges


def test_a_self_pay_charge_is_not_claimable(billing):
    billing.register("p1")
    charge = billing.charges.CreateCharge(charge_pb.CreateChargeRequest(
        parent="accounts/p1", charge=charge_pb2.Charge(procedure_code="99213",
                                                      service_date=date(DAY)))).charge
    with pytest.raises(grpc.RpcError) as refused:
        _create(billing, [charge.name])
    assert reason(refused.value) == "CHARGE_NOT_CLAIMABLE"


def test_only_billing_and_admins_see_claims(visited):
    with pytest.raises(grpc.RpcError) as refused:
        visited.claims.ListClaims(pb.ListClaimsRequest(parent="accounts/-"),
                                  metadata=auth.metadata(Role.FRONT_DESK))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
