"""Coordination of benefits: the coverage that pays next, the primary's decision as a
secondary claim carries it, and posting the secondary payer's answer."""

import datetime as dt

from clinic_billing.domain.claim import Claim, ClaimState
from clinic_billing.domain.cob import PrimaryAdjudication, secondary_coverage
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import EntryKind
from clinic_billing.domain.remittance import (
    Adjustment,
    ClaimPayment,
    Outcome,
    ServicePayment,
    post_claim,
)

from tests.billing.unit.test_remittance_posting import DAY, NOW, charge


def cov(coverage_id, priority, *, payer="p", end=None):
    return Coverage(coverage_id, "p1", payer_id=payer, priority=priority,
                    effective_date=dt.date(2025, 1, 1), end_date=end)


def test_the_next_coverage_is_the_lowest_priority_after_the_primary_in_force():
    primary = cov("a", 1)
    ended = cov("b", 2, end=DAY - dt.timedelta(days=1))
    third, second = cov("c", 3), cov("d", 2)
    assert secondary_coverage([primary, ended, third, second], primary, DAY) is second
    assert secondary_coverage([primary], primary, DAY) is None


PAYMENT = ClaimPayment("k1", "1", 45000, 8000, 2000, "PCN", adjustments=(
    Adjustment("OA", "94", 100),), services=(
    ServicePayment("99213", (), 15000, 8000, charge_ref="c1",
                   adjustments=(Adjustment("CO", "45", 5000), Adjustment("PR", "3", 2000))),
    ServicePayment("90868", (), 30000, 0, charge_ref="c2",
                   adjustments=(Adjustment("CO", "50", 30000),))))


def _primary():
    charges = [charge("c1", "99213", 15000), charge("c2", "90868", 30000)]
    claim = Claim.build("p1", charges, actor="b", now=NOW)
    claim.claim_id = "k1"
    return claim, charges


def test_the_primary_decision_keeps_the_payers_lines_and_survives_storage():
    claim, charges = _primary()
    decision = PrimaryAdjudication.of(claim, PAYMENT, charges, coverage=None,
                                      payer_name="Aetna", filing_kind="COMMERCIAL",
                                      adjudicated_on=DAY)
    assert (decision.paid_cents, decision.claim_adjustments) == (8000, (Adjustment("OA", "94", 100),))
    assert [(x.charge_id, x.paid_cents, x.adjustments) for x in decision.lines] == [
        ("c1", 8000, (Adjustment("CO", "45", 5000), Adjustment("PR", "3", 2000))),
        ("c2", 0, (Adjustment("CO", "50", 30000),))]
    assert PrimaryAdjudication.stored(decision.as_stored()) == decision


def test_only_an_answered_primary_has_a_secondary():
    claim, _ = _primary()
    for state, allowed in ((ClaimState.SUBMITTED, False), (ClaimState.PAID, True),
                           (ClaimState.DENIED, True), (ClaimState.APPEALED, False)):
        claim.state = state
        try:
            made = claim.secondary("cov-2", "87726", {}, actor="b", now=NOW)
        except Exception as refused:  # noqa: BLE001 - the refusal is the point
            assert not allowed and refused.reason == "PRIMARY_NOT_ADJUDICATED"
        else:
            assert allowed and (made.primary_claim_id, made.state) == ("k1", ClaimState.DRAFT)


def test_the_secondary_payers_prior_payer_adjustment_is_not_posted_again():
    claim, charges = _primary()
    claim.state = ClaimState.PAID
    second = claim.secondary("cov-2", "87726", {}, actor="b", now=NOW)
    answer = ClaimPayment(second.claim_id, "2", 45000, 1500, 500, "PCN2", services=(
        ServicePayment("99213", (), 15000, 1500, charge_ref="c1", adjustments=(
            Adjustment("OA", "23", 13000), Adjustment("PR", "2", 500))),))
    posting = post_claim(answer, second, charges, remittance_id="r2", now=NOW,
                         expected_cents=2000)
    assert [(e.kind, e.insurance_cents, e.patient_cents) for e in posting.entries] == [
        (EntryKind.PAYMENT, -1500, 0), (EntryKind.PATIENT_RESPONSIBILITY, -500, 500)]
    assert posting.outcome == Outcome.PARTIALLY_PAID  # c2 was not answered
