"""Secondary claims after the primary's remittance, on SQLite and PostgreSQL: built from the
primary's decision, the patient's share expected from the secondary payer, exported with
the 837P COB loops (2320/2330A/2330B/2430) and validated by pyx12; refusals change nothing."""

import grpc
import pytest
from clinic.billing.v1 import claim_pb2 as C
from clinic.billing.v1 import claim_service_pb2 as pb
from clinic.billing.v1 import payer_pb2
from clinic.billing.v1 import payer_service_pb2 as payer_pb

from tests.billing.flow import AS_BILLING, answer, balances, export, imported, ready
from tests.billing.integration.test_claim_export import assert_valid_837
from tests.billing.support import reason, row_counts
from tests.billing.x835 import era


@pytest.fixture
def answered(sent):
    """The three claims answered by Aetna (p1 partially paid, p2 paid, p3 denied); p1 and p2
    have a second coverage with UnitedHealthcare."""
    billing, claims, charges = sent
    billing.payers.CreatePayer(payer_pb.CreatePayerRequest(payer_id="87726", payer=payer_pb2.Payer(
        display_name="UnitedHealthcare", kind=payer_pb2.PAYER_KIND_COMMERCIAL)),
        metadata=AS_BILLING)
    for patient in ("p1", "p2"):
        billing.cover(patient, f"cov2-{patient}", "87726", priority=2)
    imported(billing, era(answer(claims, charges)))
    return billing, claims, charges


def secondary(billing, primary, **kw):
    return billing.claims.CreateSecondaryClaim(pb.CreateSecondaryClaimRequest(
        primary_claim=primary.name, **kw), metadata=AS_BILLING).claim


def test_a_secondary_claim_carries_the_primary_decision_and_goes_out_valid(answered):
    billing, (c1, c2, _), charges = answered
    assert balances(billing, "p2") == (5000, 0)  # the primary's deductible is the patient's
    claim = secondary(billing, c2, request_id="sec-1")
    assert (claim.state, claim.payer_id, claim.coverage_id, claim.primary_claim,
            claim.primary_paid_cents, claim.primary_payer_id, claim.total_charge_cents) == \
        (C.CLAIM_STATE_DRAFT, "87726", "cov2-p2", c2.name, 10000, "60054", 30000)
    assert list(claim.charges) == list(c2.charges)
    assert secondary(billing, c2, request_id="sec-1") == claim  # a retry
    assert balances(billing, "p2") == (0, 5000)  # now expected from the secondary payer
    other = secondary(billing, c1)
    batch = export(billing, ready(billing, claim), ready(billing, other))
    assert_valid_837(batch.content)
    text = batch.content.decode()
    p2 = text[text.index(f"CLM*{claim.claim_id}*"):text.index(f"CLM*{other.claim_id}*")]
    for segment in ("SBR*P*18*******CI~", "CAS*CO*45*150~", "CAS*PR*1*50~", "AMT*D*100~",
                    "OI***Y***Y~", "NM1*PR*2*AETNA*****PI*60054~", "DTP*573*D8*20260401~",
                    "SVD*60054*100*HC:90868**1~"):
        assert segment in p2, segment
    assert "SBR*S*18" in text[:text.index(f"CLM*{claim.claim_id}*")]
    p1 = text[text.index(f"CLM*{other.claim_id}*"):]
    assert "SVD*60054*80*HC:99213**1~" in p1 and "SVD*60054*0*HC:90867**1~" in p1
    assert "CAS*CO*50*500~" in p1 and "AMT*D*80~" in p1


def test_voiding_the_secondary_hands_the_share_back_and_another_can_be_built(answered):
    billing, (_, c2, _), _ = answered
    claim = secondary(billing, c2)
    billing.claims.VoidClaim(pb.VoidClaimRequest(name=claim.name, reason="wrong plan"),
                             metadata=AS_BILLING)
    assert balances(billing, "p2") == (5000, 0)
    assert secondary(billing, c2).claim_id != claim.claim_id
    assert balances(billing, "p2") == (0, 5000)


def test_refused_secondary_claims_change_nothing(answered):
    billing, (c1, c2, c3), _ = answered
    first = secondary(billing, c2)
    cases = [(c3, grpc.StatusCode.FAILED_PRECONDITION, "NO_SECONDARY_COVERAGE"),
             (c2, grpc.StatusCode.ALREADY_EXISTS, "SECONDARY_CLAIM_EXISTS"),
             (first, grpc.StatusCode.FAILED_PRECONDITION, "CLAIM_IS_SECONDARY")]
    before = row_counts(billing.runtime)
    for primary, code, why in cases:
        with pytest.raises(grpc.RpcError) as refused:
            secondary(billing, primary)
        assert (refused.value.code(), reason(refused.value)) == (code, why)
    assert row_counts(billing.runtime) == before


def test_a_claim_its_payer_has_not_answered_has_no_secondary(sent):
    billing, claims, _ = sent
    billing.cover("p1", "cov2-p1", "87726", priority=2)
    with pytest.raises(grpc.RpcError) as refused:
        secondary(billing, claims[0])
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "PRIMARY_NOT_ADJUDICATED")


def test_the_secondary_payers_remittance_pays_the_share_it_took_over(answered):
    from tests.billing.flow import state
    from tests.billing.x835 import ClaimPayment, Line
    billing, (_, c2, _), charges = answered
    claim = ready(billing, secondary(billing, c2))
    export(billing, claim)
    paid = ClaimPayment(claim.claim_id, "2", 30000, 4000, 1000, lines=[
        Line("90868", 30000, 4000, [("OA", "23", 25000), ("PR", "2", 1000)],
             charge_ref=charges[c2.claim_id][0])])
    imported(billing, era([paid], trace="CHK2002", control=102, payer_id="87726"))
    assert state(billing, claim) == C.CLAIM_STATE_PAID
    assert balances(billing, "p2") == (1000, 0)  # the coinsurance the secondary left
