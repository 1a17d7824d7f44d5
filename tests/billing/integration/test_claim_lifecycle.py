"""A sent claim's life over ClaimService on SQLite and PostgreSQL: accepted after its
277CA, settled by the 835, appealed, closed; each step on its history with who took it;
moves out of order refused with the moves allowed, changing nothing."""

import grpc
import pytest
from clinic.billing.v1 import claim_pb2 as C
from clinic.billing.v1 import claim_service_pb2 as pb

from tests.billing.flow import AS_BILLING, DAY, answer, imported, state
from tests.billing.support import date, error_metadata, reason, row_counts
from tests.billing.x835 import era


def history(billing, claim, **kw):
    return list(billing.claims.ListClaimTransitions(pb.ListClaimTransitionsRequest(
        parent=claim.name, **kw), metadata=AS_BILLING).transitions)


def test_an_accepted_claim_is_paid_appealed_and_closed_and_its_history_says_so(sent):
    billing, claims, charges = sent
    c1, c2, c3 = claims
    accepted = billing.claims.MarkClaimAccepted(pb.MarkClaimAcceptedRequest(
        name=c2.name, payer_claim_number="PCN-77", accept_date=date(DAY), request_id="acc-1"),
        metadata=AS_BILLING).claim
    assert (accepted.state, accepted.payer_claim_number) == (C.CLAIM_STATE_ACCEPTED, "PCN-77")
    imported(billing, era(answer(claims, charges)))
    assert [state(billing, c) for c in claims] == \
        [C.CLAIM_STATE_PARTIALLY_PAID, C.CLAIM_STATE_PAID, C.CLAIM_STATE_DENIED]
    appealed = billing.claims.AppealClaim(pb.AppealClaimRequest(
        name=c3.name, note="records show medical necessity", appeal_date=date(DAY)),
        metadata=AS_BILLING).claim
    assert appealed.state == C.CLAIM_STATE_APPEALED
    closed = billing.claims.CloseClaim(pb.CloseClaimRequest(name=c2.name, reason="paid in full"),
                                       metadata=AS_BILLING).claim
    assert (closed.state, closed.close_reason) == (C.CLAIM_STATE_CLOSED, "paid in full")
    steps = history(billing, c2)
    assert [(s.from_state, s.to_state) for s in steps] == [
        (C.CLAIM_STATE_UNSPECIFIED, C.CLAIM_STATE_DRAFT), (C.CLAIM_STATE_DRAFT, C.CLAIM_STATE_READY),
        (C.CLAIM_STATE_READY, C.CLAIM_STATE_SUBMITTED),
        (C.CLAIM_STATE_SUBMITTED, C.CLAIM_STATE_ACCEPTED),
        (C.CLAIM_STATE_ACCEPTED, C.CLAIM_STATE_PAID), (C.CLAIM_STATE_PAID, C.CLAIM_STATE_CLOSED)]
    assert {s.actor for s in steps} == {"biller-9"}
    assert (steps[2].reference, steps[3].reference, steps[5].note) == \
        (closed.batch.split("/")[1], "PCN-77", "paid in full")
    assert steps[4].reference  # the remittance that paid it
    assert history(billing, c3)[-1].note == "records show medical necessity"
    page = history(billing, c2, page_size=4)
    assert len(page) == 4


def test_an_accept_retried_with_its_request_id_returns_the_first_result(sent):
    billing, claims, _ = sent
    request = pb.MarkClaimAcceptedRequest(name=claims[0].name, request_id="acc-1")
    first = billing.claims.MarkClaimAccepted(request, metadata=AS_BILLING).claim
    assert billing.claims.MarkClaimAccepted(request, metadata=AS_BILLING).claim == first
    assert len(history(billing, claims[0])) == 4


@pytest.mark.parametrize("call, allowed", [
    (lambda b, c: b.claims.AppealClaim(pb.AppealClaimRequest(
        name=c.name, note="x", appeal_date=date(DAY)), metadata=AS_BILLING),
     "ACCEPTED,PAID,PARTIALLY_PAID,DENIED,CLOSED"),
    (lambda b, c: b.claims.VoidClaim(pb.VoidClaimRequest(name=c.name, reason="x"),
                                     metadata=AS_BILLING),
     "ACCEPTED,PAID,PARTIALLY_PAID,DENIED,CLOSED"),
])
def test_a_move_out_of_order_is_refused_with_the_moves_allowed(sent, call, allowed):
    billing, claims, _ = sent
    before = row_counts(billing.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        call(billing, claims[0])
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "CLAIM_STATE_CONFLICT")
    assert error_metadata(refused.value)["allowed_transitions"] == allowed
    assert row_counts(billing.runtime) == before


@pytest.mark.parametrize("request_", [
    pb.AppealClaimRequest(note="x"),  # no appeal date
    pb.AppealClaimRequest(appeal_date=date(DAY)),  # no note
    pb.CloseClaimRequest(reason=" "),
])
def test_an_appeal_or_close_without_what_it_needs_is_invalid(sent, request_):
    billing, claims, _ = sent
    request_.name = claims[0].name
    method = billing.claims.AppealClaim if isinstance(request_, pb.AppealClaimRequest) \
        else billing.claims.CloseClaim
    with pytest.raises(grpc.RpcError) as refused:
        method(request_, metadata=AS_BILLING)
    assert reason(refused.value) == "INVALID_FIELD"
    assert state(billing, claims[0]) == C.CLAIM_STATE_SUBMITTED
