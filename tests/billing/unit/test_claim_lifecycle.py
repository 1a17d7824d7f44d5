"""A claim's life after it is sent: accepted, appealed, closed; every step on its history,
and a refusal that names where the claim can go."""

import datetime as dt

import pytest
from clinic_billing.domain.claim import TRANSITIONS, Claim, ClaimState
from clinic_common.errors import ClinicError

from tests.billing.unit.test_claim import NOW, _subscriber, charge

DAY = dt.date(2026, 3, 20)


def sent(state=ClaimState.SUBMITTED):
    claim = Claim.build("p1", [charge("c1")], actor="biller-1", now=NOW)
    claim.mark_ready(_subscriber(), [], actor="biller-1", now=NOW)
    claim.submit("b1", actor="biller-1", now=NOW)
    claim.state = state
    return claim


def refused(attempt) -> ClinicError:
    with pytest.raises(ClinicError) as raised:
        attempt()
    return raised.value


def test_every_state_is_reachable_from_a_draft():
    reached, frontier = {ClaimState.DRAFT}, [ClaimState.DRAFT]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(ClaimState)


def test_each_step_is_recorded_from_where_to_where_by_whom():
    claim = Claim.build("p1", [charge("c1")], actor="biller-1", now=NOW)
    steps = [claim.created(),
             claim.mark_ready(_subscriber(), [], actor="biller-2", now=NOW),
             claim.submit("b1", actor="biller-3", now=NOW),
             claim.accept("PCN-1", DAY, actor="biller-4", now=NOW)]
    assert [(s.from_state, s.to_state, s.actor, s.reference) for s in steps] == [
        ("", ClaimState.DRAFT, "biller-1", ""),
        ("DRAFT", ClaimState.READY, "biller-2", ""),
        ("READY", ClaimState.SUBMITTED, "biller-3", "b1"),
        ("SUBMITTED", ClaimState.ACCEPTED, "biller-4", "PCN-1")]
    assert (claim.payer_claim_number, steps[-1].effective_date) == ("PCN-1", DAY)


def test_an_accepted_claim_is_paid_by_its_remittance():
    claim = sent()
    claim.accept("", DAY, actor="b", now=NOW)
    step = claim.settle(ClaimState.PAID, "r1", actor="b", now=NOW)
    assert (claim.state, step.from_state, step.reference) == (ClaimState.PAID, "ACCEPTED", "r1")


@pytest.mark.parametrize("state", [ClaimState.DENIED, ClaimState.PARTIALLY_PAID])
def test_a_denied_or_underpaid_claim_is_appealed_with_its_note(state):
    claim = sent(state)
    step = claim.appeal("medical necessity letter attached", DAY, actor="b", now=NOW)
    assert (claim.state, step.note, step.effective_date) == \
        (ClaimState.APPEALED, "medical necessity letter attached", DAY)


@pytest.mark.parametrize("state", [ClaimState.PAID, ClaimState.DENIED, ClaimState.APPEALED,
                                   ClaimState.SUBMITTED])
def test_a_sent_claim_is_closed_with_its_reason(state):
    claim = sent(state)
    claim.close("balance written off", actor="b", now=NOW)
    assert (claim.state, claim.close_reason) == (ClaimState.CLOSED, "balance written off")


def test_a_move_out_of_order_names_the_moves_allowed():
    error = refused(lambda: sent(ClaimState.PAID).appeal("x", DAY, actor="b", now=NOW))
    assert (error.reason, error.metadata["state"], error.metadata["target_state"],
            error.metadata["allowed_transitions"]) == \
        ("CLAIM_STATE_CONFLICT", "PAID", "APPEALED", "CLOSED,SUBMITTED")
    assert "it can become CLOSED, SUBMITTED" in error.message


def test_a_closed_claim_moves_no_more():
    claim = sent()
    claim.close("done", actor="b", now=NOW)
    error = refused(lambda: claim.close("again", actor="b", now=NOW))
    assert (error.reason, error.metadata["allowed_transitions"]) == ("CLAIM_STATE_CONFLICT", "")


def test_a_draft_is_not_accepted_or_closed():
    draft = Claim.build("p1", [charge("c1")], actor="b", now=NOW)
    for attempt in (lambda: draft.accept("", DAY, actor="b", now=NOW),
                    lambda: draft.close("x", actor="b", now=NOW)):
        error = refused(attempt)
        assert (error.reason, error.metadata["allowed_transitions"]) == \
            ("CLAIM_STATE_CONFLICT", "READY,VOID")


@pytest.mark.parametrize("attempt", [
    lambda c: c.appeal(" ", DAY, actor="b", now=NOW),
    lambda c: c.appeal("x" * 1001, DAY, actor="b", now=NOW),
    lambda c: c.close("", actor="b", now=NOW),
])
def test_an_appeal_or_close_without_its_words_is_refused(attempt):
    claim = sent(ClaimState.DENIED)
    assert refused(lambda: attempt(claim)).reason == "INVALID_FIELD"
    assert claim.state == ClaimState.DENIED


def test_a_payer_claim_number_with_a_delimiter_is_refused():
    assert refused(lambda: sent().accept("A*1", DAY, actor="b", now=NOW)).reason == \
        "INVALID_FIELD"
