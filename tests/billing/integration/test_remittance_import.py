"""835 remittances imported over RemittanceService, on SQLite and PostgreSQL: payments,
partial payments, denials, reversals, PLB, suspense; the same file twice; malformed files."""


import grpc
import pytest
from clinic.billing.v1 import claim_pb2 as C
from clinic.billing.v1 import remittance_pb2
from clinic.billing.v1 import remittance_service_pb2 as pb
from clinic_billing.service_layer import remittances
from sqlalchemy import event

from tests.billing.flow import AS_BILLING, answer, balances, imported, state
from tests.billing.support import error_metadata, reason, row_counts
from tests.billing.x835 import ClaimPayment, Line, era


def test_a_remittance_posts_paid_partial_and_denied_claims(sent):
    billing, claims, charges = sent
    response = imported(billing, era(answer(claims, charges), plb=[("WO", "OVP-9", 1500)]))
    remittance = response.remittance
    assert not response.already_imported
    assert (remittance.deposit_cents, remittance.trace_number, remittance.payer_id) == \
        (8000 + 10000 - 1500, "CHK1001", "60054")
    assert [(a.reason, a.reference, a.amount_cents) for a in remittance.provider_adjustments] == \
        [("WO", "OVP-9", 1500)]
    P = remittance_pb2
    assert [c.outcome for c in remittance.claims] == [
        P.POSTING_OUTCOME_PARTIALLY_PAID, P.POSTING_OUTCOME_PAID, P.POSTING_OUTCOME_DENIED]
    assert [state(billing, c) for c in claims] == [
        C.CLAIM_STATE_PARTIALLY_PAID, C.CLAIM_STATE_PAID, C.CLAIM_STATE_DENIED]
    # p1: 65000 charged; 8000 paid, CO 55000 (one line denied), copay 2000 to the patient.
    assert balances(billing, "p1") == (2000, 0)
    # p2: 30000 charged; 10000 paid, CO 15000, a 5000 deductible to the patient.
    assert balances(billing, "p2") == (5000, 0)
    # p3: denied; the CO-50 is posted as the payer said, the denial waits on the queue.
    assert balances(billing, "p3") == (0, 0)
    [denial] = billing.remittances.ListDenials(pb.ListDenialsRequest(state="OPEN"),
                                               metadata=AS_BILLING).denials
    assert (denial.claim, list(denial.reason_codes), list(denial.remark_codes),
            denial.denied_cents) == (claims[2].name, ["CO-50"], ["N115"], 22000)


def test_the_same_file_twice_changes_nothing_and_says_so(sent):
    billing, claims, charges = sent
    content = era(answer(claims, charges))
    first = imported(billing, content).remittance
    before = row_counts(billing.runtime)
    again = imported(billing, content)
    assert again.already_imported and again.remittance == first
    assert row_counts(billing.runtime) == before
    with pytest.raises(grpc.RpcError) as refused:  # another file, the same check
        imported(billing, content.replace("*1200*", "*1201*"))
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.ALREADY_EXISTS, "REMITTANCE_TRACE_ALREADY_IMPORTED")
    assert row_counts(billing.runtime) == before


def test_a_reversal_undoes_the_earlier_posting_and_a_correction_posts_anew(sent):
    billing, claims, charges = sent
    imported(billing, era(answer(claims, charges)))
    c1 = claims[0]
    reversal = ClaimPayment(c1.claim_id, "22", -65000, -8000, -2000, lines=[
        Line("99213", -15000, -8000, [("CO", "45", -5000), ("PR", "3", -2000)]),
        Line("90867", -50000, 0, [("CO", "50", -50000)])])
    corrected = ClaimPayment(c1.claim_id, "1", 65000, 47000, 0, lines=[
        Line("99213", 15000, 10000, [("CO", "45", 5000)]),
        Line("90867", 50000, 37000, [("CO", "45", 13000)])])
    response = imported(billing, era([reversal], trace="CHK2002", control=102))
    assert response.remittance.claims[0].outcome == remittance_pb2.POSTING_OUTCOME_REVERSED
    assert balances(billing, "p1") == (0, 65000)
    assert state(billing, c1) == C.CLAIM_STATE_SUBMITTED
    imported(billing, era([corrected], trace="CHK3003", control=103))
    assert balances(billing, "p1") == (0, 0)
    assert state(billing, c1) == C.CLAIM_STATE_PAID


def test_what_cannot_be_matched_goes_to_suspense_with_the_reason(sent):
    billing, claims, charges = sent
    c2 = claims[1]
    content = era([
        ClaimPayment("NO-SUCH-CLAIM", "1", 10000, 7000, 0, lines=[Line("99213", 10000, 7000)]),
        ClaimPayment(c2.claim_id, "1", 30000, 20000, 0, lines=[
            Line("90868", 30000, 20000, [("CO", "45", 10000)]),
            Line("90791", 1000, 500, [("CO", "45", 500)])]),
        ClaimPayment(claims[2].claim_id, "22", -22000, 0, 0),
    ])
    remittance = imported(billing, content).remittance
    other = imported(billing, era([ClaimPayment(claims[0].claim_id, "1", 65000, 900, 0)],
                                  trace="CHK-OTHER", payer_id="87726")).remittance
    assert [(s.reason, s.amount_cents) for s in other.suspense_items] == \
        [("PAYER_MISMATCH", 900)]
    assert sorted((s.reason, s.amount_cents) for s in remittance.suspense_items) == [
        ("CLAIM_NOT_FOUND", 7000), ("LINE_NOT_MATCHED", 500), ("REVERSAL_WITHOUT_POSTING", 0)]
    listed = billing.remittances.ListSuspenseItems(pb.ListSuspenseItemsRequest(state="OPEN"),
                                                   metadata=AS_BILLING).suspense_items
    assert len(listed) == 4
    assert balances(billing, "p2") == (0, 0)
    assert remittance.claims[1].outcome == remittance_pb2.POSTING_OUTCOME_PARTIALLY_PAID


def test_a_malformed_file_is_refused_with_the_segment_and_position_and_nothing_is_posted(sent):
    billing, claims, charges = sent
    before = row_counts(billing.runtime)
    good = era(answer(claims, charges))
    bad = good.replace(f"CLP*{claims[1].claim_id}*1*", f"CLP*{claims[1].claim_id}*123*")
    for content, why in [(bad, "MALFORMED_X12"), ("not an x12 file", "MALFORMED_X12"),
                         (good[: len(good) // 2], "MALFORMED_X12"), ("", "INVALID_FIELD")]:
        with pytest.raises(grpc.RpcError) as refused:
            imported(billing, content)
        assert (refused.value.code(), reason(refused.value)) == \
            (grpc.StatusCode.INVALID_ARGUMENT, why)
    with pytest.raises(grpc.RpcError) as refused:
        imported(billing, bad)
    where = error_metadata(refused.value)
    position = next(n for n, seg in enumerate(bad.split("~\n"), start=1)
                    if seg.startswith(f"CLP*{claims[1].claim_id}"))
    assert (where["segment"], where["position"]) == ("CLP", str(position))
    with pytest.raises(grpc.RpcError) as refused:
        imported(billing, "ISA\xe9".encode("latin-1").decode("latin-1"))
    assert reason(refused.value) == "MALFORMED_X12"
    assert row_counts(billing.runtime) == before


@pytest.mark.parametrize("chunk", [500, 1])
def test_a_payment_reversed_and_corrected_within_one_file_posts_in_file_order(sent, chunk,
                                                                              monkeypatch):
    """In one chunk of the file or across chunks (one claim each), the same order."""
    monkeypatch.setattr(remittances, "POST_CHUNK", chunk)
    billing, claims, charges = sent
    c2 = claims[1]
    paid = ClaimPayment(c2.claim_id, "1", 30000, 10000, 5000, lines=[
        Line("90868", 30000, 10000, [("CO", "45", 15000), ("PR", "1", 5000)])])
    reversal = ClaimPayment(c2.claim_id, "22", -30000, -10000, -5000, lines=[
        Line("90868", -30000, -10000, [("CO", "45", -15000), ("PR", "1", -5000)])])
    corrected = ClaimPayment(c2.claim_id, "1", 30000, 20000, 0, lines=[
        Line("90868", 30000, 20000, [("CO", "45", 10000)])])
    remittance = imported(billing, era([paid, reversal, corrected])).remittance
    P = remittance_pb2
    assert [c.outcome for c in remittance.claims] == [
        P.POSTING_OUTCOME_PAID, P.POSTING_OUTCOME_REVERSED, P.POSTING_OUTCOME_PAID]
    assert list(remittance.suspense_items) == []
    assert balances(billing, "p2") == (0, 0)  # the deductible was reversed, the rest paid
    assert state(billing, c2) == C.CLAIM_STATE_PAID


def test_an_import_reads_its_claims_and_charges_in_one_query_each(sent):
    """No query per claim: the claims CLP01 names and their charges are read in batches."""
    billing, claims, charges = sent
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()).upper())

    event.listen(billing.runtime.engine, "before_cursor_execute", seen)
    try:
        imported(billing, era(answer(claims, charges)))
    finally:
        event.remove(billing.runtime.engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len([s for s in reads if "FROM CLAIMS" in s]) == 1  # the claims, locked
    assert len([s for s in reads if "FROM CHARGES" in s]) == 1
    assert len([s for s in reads if "FROM LEDGER_ENTRIES" in s]) == 1  # the new balances
    assert len([s for s in statements if s.startswith("INSERT INTO LEDGER_ENTRIES")]) == 1
