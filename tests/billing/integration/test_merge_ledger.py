"""A patient merge on SQLite and PostgreSQL: the ledger is only appended to (transfer
entries), both accounts' figures reproduce from their own entries, the reports read as
before, and the merge announced again changes nothing."""

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from clinic.billing.v1 import payment_pb2
from clinic.billing.v1 import payment_service_pb2 as payment_pb
from clinic.billing.v1 import report_service_pb2 as pb
from clinic.intake.v1 import events_pb2 as intake
from sqlalchemy import select

from tests.billing.flow import AS_BILLING, answer, balances, imported
from tests.billing.support import date, row_counts
from tests.billing.x835 import ClaimPayment, Line, era

MERGE = intake.PatientMerged(merged_patient_id="p1", surviving_patient_id="p2")


def ledger_rows(billing) -> dict[int, dict]:
    table = billing.runtime.spec.metadata.tables["ledger_entries"]
    with billing.runtime.session_factory() as session:
        return {row["entry_id"]: dict(row)
                for row in session.execute(select(table)).mappings()}


def sums_by_patient(rows) -> dict[str, tuple[int, int]]:
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows.values():
        found[row["patient_id"]][0] += row["patient_cents"]
        found[row["patient_id"]][1] += row["insurance_cents"]
    return {k: tuple(v) for k, v in found.items()}


def figures(billing) -> dict:
    """The reports' answers that do not name an account."""
    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    aging = billing.reports.GetArAging(pb.GetArAgingRequest(as_of=date(today)),
                                       metadata=AS_BILLING)
    claims = billing.reports.ListClaimBalances(pb.ListClaimBalancesRequest(
        parent="accounts/-"), metadata=AS_BILLING).balances
    totals = billing.reports.GetDailyTotals(pb.GetDailyTotalsRequest(date=date(today)),
                                            metadata=AS_BILLING).locations
    return dict(
        aging=(str(aging.payers), str(aging.patients), aging.unapplied_patient_credit_cents),
        claims=sorted((c.claim.rsplit("/", 1)[1], c.charge_cents, c.paid_cents,
                       c.patient_responsibility_cents, c.adjustment_cents, c.open_cents,
                       c.variance_cents, c.state) for c in claims),
        totals=[str(t) for t in totals])


def statement(billing, patient):
    return billing.reports.GetPatientStatement(pb.GetPatientStatementRequest(
        account=f"accounts/{patient}"), metadata=AS_BILLING)


def test_a_merge_appends_transfers_and_edits_no_ledger_row(sent):
    billing, claims, charges = sent
    imported(billing, era(answer(claims, charges)))  # p1 partially paid, p2 paid
    payment = billing.payments.RecordPayment(payment_pb.RecordPaymentRequest(
        parent="accounts/p1", payment=payment_pb2.Payment(
            method=payment_pb2.PAYMENT_METHOD_CASH, amount_cents=3000,
            location_id="carlsbad")), metadata=AS_BILLING).payment
    p1, p2 = balances(billing, "p1"), balances(billing, "p2")
    assert p1 == (2000 - 3000, 0) and p2 == (5000, 0)
    rows_before, figures_before = ledger_rows(billing), figures(billing)
    closing_before = statement(billing, "p1").closing_patient_cents + \
        statement(billing, "p2").closing_patient_cents

    assert billing.deliver(MERGE, event_id="merge-evt-1") == "handled"

    rows = ledger_rows(billing)
    assert {k: rows[k] for k in rows_before} == rows_before  # no row edited, none removed
    added = [rows[k] for k in sorted(rows.keys() - rows_before.keys())]
    assert added and {r["kind"] for r in added} == {"MERGE_TRANSFER"}
    assert {r["reason"] for r in added} == {"merge-evt-1"}
    assert {(r["patient_id"], r["counterpart_patient_id"]) for r in added} == \
        {("p1", "p2"), ("p2", "p1")}
    # Each pair: the same charge/claim and amount, off p1 and onto p2, one bucket at a time.
    off = sorted((r["charge_id"] or "", r["claim_id"] or "", -r["patient_cents"],
                  -r["insurance_cents"]) for r in added if r["patient_id"] == "p1")
    onto = sorted((r["charge_id"] or "", r["claim_id"] or "", r["patient_cents"],
                   r["insurance_cents"]) for r in added if r["patient_id"] == "p2")
    assert off == onto and all(0 in (p, i) for _, _, p, i in off)
    # Both accounts' balances are the sums of their own entries.
    sums = sums_by_patient(rows)
    assert sums["p1"] == balances(billing, "p1") == (0, 0)
    assert sums["p2"] == balances(billing, "p2") == (p1[0] + p2[0], p1[1] + p2[1])
    # The merged account's history stays under its own id: its old entries plus the transfers.
    assert sums_by_patient(rows_before)["p1"] == p1
    assert [line.kind for line in statement(billing, "p1").lines][-1] == "MERGE_TRANSFER"
    survivor = statement(billing, "p2")
    assert (survivor.closing_patient_cents, survivor.closing_insurance_cents) == \
        (closing_before, 0)
    assert figures(billing) == figures_before  # aging, claim balances, daily totals

    # Announced again (redelivered, or re-announced under a new event id): nothing changes.
    counts = row_counts(billing.runtime)
    assert billing.deliver(MERGE, event_id="merge-evt-1") == "duplicate"
    assert billing.deliver(MERGE, event_id="merge-evt-2") == "handled"
    assert ledger_rows(billing) == rows and row_counts(billing.runtime) == counts

    # What is posted later to the merged patient's claim and payment lands on the survivor.
    c1 = claims[0]
    imported(billing, era([ClaimPayment(c1.claim_id, "22", -65000, -8000, -2000, lines=[
        Line("99213", -15000, -8000, [("CO", "45", -5000), ("PR", "3", -2000)]),
        Line("90867", -50000, 0, [("CO", "50", -50000)])])], trace="CHK-REV", control=103))
    billing.payments.RefundPayment(payment_pb.RefundPaymentRequest(
        name=f"accounts/p2/payments/{payment.name.rsplit('/', 1)[1]}", amount_cents=1000,
        reason="overpaid"), metadata=AS_BILLING)
    rows_after = ledger_rows(billing)
    assert {k: rows_after[k] for k in rows} == rows
    later = [rows_after[k] for k in rows_after.keys() - rows.keys()]
    assert {r["patient_id"] for r in later} == {"p2"}
    assert {r["kind"] for r in later} >= {"PAYMENT", "PATIENT_RESP", "REFUND"}
    assert sums_by_patient(rows_after)["p1"] == balances(billing, "p1") == (0, 0)
    assert sums_by_patient(rows_after)["p2"] == balances(billing, "p2")


def test_a_merge_of_an_account_with_nothing_open_appends_nothing(sent):
    billing, _, _ = sent
    billing.register("empty")
    before = ledger_rows(billing)
    assert billing.deliver(intake.PatientMerged(merged_patient_id="empty",
                                                surviving_patient_id="p2")) == "handled"
    assert ledger_rows(billing) == before
