"""Posting one 835 claim (CLP) to its claim's charges: paid, partially paid, denied,
reversed, lines matched by charge id or code and modifiers, the rest to suspense."""

import datetime as dt

from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim
from clinic_billing.domain.model import ChargeSource, EntryKind, Responsibility
from clinic_billing.domain.remittance import (
    Adjustment,
    ClaimPayment,
    Outcome,
    ServicePayment,
    SuspenseReason,
    match_lines,
    post_claim,
    reversal_of,
)

NOW = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 10)


def charge(charge_id, code, cents, modifiers=()):
    return Charge(patient_id="p1", source=ChargeSource.VISIT, procedure_code=code, units=1,
                  service_date=DAY, responsibility=Responsibility.INSURANCE, amount_cents=cents,
                  payer_id="60054", coverage_id="cov-1", modifiers=list(modifiers),
                  posted_at=NOW, charge_id=charge_id)


CHARGES = [charge("c1", "99213", 15000), charge("c2", "90867", 50000)]
CLAIM = Claim.build("p1", CHARGES, actor="b", now=NOW)


def line(code, cents, paid, *adjustments, ref="", modifiers=()):
    return ServicePayment(code, tuple(modifiers), cents, paid, ref, None,
                          tuple(Adjustment(*a) for a in adjustments))


def payment(status, paid, *services, adjustments=()):
    return ClaimPayment(CLAIM.claim_id, status, 65000, paid, 0, "PCN", tuple(adjustments), (),
                        tuple(services))


def totals(posting):
    return (sum(e.patient_cents for e in posting.entries),
            sum(e.insurance_cents for e in posting.entries))


def test_a_paid_claim_posts_payments_adjustments_and_the_patient_share():
    posting = post_claim(payment("1", 45000, line("99213", 15000, 8000, ("CO", "45", 5000),
                                                  ("PR", "3", 2000)),
                                 line("90867", 50000, 37000, ("CO", "45", 13000))),
                         CLAIM, CHARGES, remittance_id="r1", now=NOW)
    assert posting.outcome == Outcome.PAID and posting.suspense == []
    assert totals(posting) == (2000, -65000)
    assert {(e.charge_id, e.kind, e.reason) for e in posting.entries} >= {
        ("c1", EntryKind.PAYMENT, ""), ("c1", EntryKind.PATIENT_RESPONSIBILITY, "PR-3"),
        ("c2", EntryKind.ADJUSTMENT, "CO-45")}
    assert all(e.remittance_id == "r1" and e.claim_id == CLAIM.claim_id for e in posting.entries)


def test_a_line_paid_nothing_or_money_left_with_the_payer_is_a_partial_payment():
    left = post_claim(payment("1", 45000, line("99213", 15000, 8000),
                              line("90867", 50000, 37000)), CLAIM, CHARGES, remittance_id="r",
                      now=NOW)
    assert left.outcome == Outcome.PARTIALLY_PAID and totals(left) == (0, -45000)
    zero = post_claim(payment("1", 10000, line("99213", 15000, 10000, ("CO", "45", 5000)),
                              line("90867", 50000, 0, ("CO", "97", 50000))), CLAIM, CHARGES,
                      remittance_id="r", now=NOW)
    assert zero.outcome == Outcome.PARTIALLY_PAID


def test_a_denial_is_status_4_or_nothing_paid_with_co_adjustments():
    assert post_claim(payment("4", 0, adjustments=[Adjustment("CO", "50", 65000)]), CLAIM,
                      CHARGES, remittance_id="r", now=NOW).outcome == Outcome.DENIED
    assert post_claim(payment("1", 0, line("99213", 15000, 0, ("CO", "29", 15000)),
                              line("90867", 50000, 0, ("CO", "29", 50000))), CLAIM, CHARGES,
                      remittance_id="r", now=NOW).outcome == Outcome.DENIED
    pr_only = post_claim(payment("1", 0, line("99213", 15000, 0, ("PR", "1", 15000)),
                                 line("90867", 50000, 0, ("PR", "1", 50000))), CLAIM, CHARGES,
                         remittance_id="r", now=NOW)
    assert pr_only.outcome != Outcome.DENIED and totals(pr_only) == (65000, -65000)


def test_lines_match_by_charge_id_first_then_code_and_modifiers():
    twins = [charge("a", "90868", 100), charge("b", "90868", 100), charge("m", "99213", 100,
                                                                           ["25"])]
    pairs, left = match_lines((line("90868", 100, 1, ref="b"), line("90868", 100, 2),
                               line("99213", 100, 3), line("99213", 100, 4, modifiers=["25"])),
                              twins)
    assert [(s.paid_cents, c.charge_id) for s, c in pairs] == [(1, "b"), (2, "a"), (4, "m")]
    assert [s.paid_cents for s in left] == [3]


def test_an_unmatched_line_goes_to_suspense_and_is_not_posted():
    posting = post_claim(payment("1", 15500, line("99213", 15000, 15000),
                                 line("90791", 500, 500, ("CO", "45", 10))), CLAIM, CHARGES,
                         remittance_id="r", now=NOW)
    assert [(r, c) for r, c, _ in posting.suspense] == [(SuspenseReason.LINE_NOT_MATCHED, 500)]
    assert totals(posting) == (0, -15000) and posting.outcome == Outcome.PARTIALLY_PAID


def test_a_reversal_appends_the_negation_of_what_was_posted():
    posting = post_claim(payment("1", 45000, line("99213", 15000, 8000, ("PR", "3", 2000)),
                                 line("90867", 50000, 37000)), CLAIM, CHARGES,
                         remittance_id="r1", now=NOW)
    undone = reversal_of(posting.entries, remittance_id="r2", now=NOW)
    assert totals(posting)[0] + sum(e.patient_cents for e in undone) == 0
    assert totals(posting)[1] + sum(e.insurance_cents for e in undone) == 0
    assert {e.remittance_id for e in undone} == {"r2"}


def test_the_payers_arithmetic_is_checked_per_claim():
    assert payment("1", 45000, line("99213", 15000, 8000, ("CO", "45", 7000)),
                   line("90867", 50000, 37000, ("CO", "45", 13000))).balances
    assert not payment("1", 45000, line("99213", 15000, 8000)).balances
