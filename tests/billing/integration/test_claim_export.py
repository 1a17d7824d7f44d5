"""Claims made ready, voided and exported as 837P batches, on SQLite and PostgreSQL; every
exported file is validated by pyx12 against the 837P (005010X222A1) map."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import claim_pb2
from clinic.billing.v1 import claim_service_pb2 as pb
from clinic_billing.adapters import x12_validation

from tests.billing.flow import AS_BILLING, DAY, SUBSCRIBER, draft, export, ready
from tests.billing.support import completed, reason, row_counts


def assert_valid_837(content: bytes) -> None:
    found = x12_validation.problems(content.decode("ascii"))
    assert found == [], "\n".join(map(str, found))


def test_ready_claims_go_out_in_a_valid_837p_and_become_submitted(clinic):
    first, second = ready(clinic, draft(clinic, "p1", "a1")), ready(clinic, draft(clinic, "p2", "a2"))
    assert first.state == claim_pb2.CLAIM_STATE_READY and first.subscriber.last_name == "Doe"
    batch = export(clinic, first, second)
    assert_valid_837(batch.content)
    text = batch.content.decode()
    assert f"*{batch.interchange_control_number:09d}*0*P*:~" in text
    assert "GS*HC*CLINICGROUP*CLEARINGHOUSE*" in text and f"*{batch.group_control_number}*X*" in text
    assert f"CLM*{first.claim_id}*650*" in text and f"CLM*{second.claim_id}*300*" in text
    assert list(batch.claims) == [first.name, second.name] and batch.create_staff_id == "biller-9"
    for claim in (first, second):
        got = clinic.claims.GetClaim(pb.GetClaimRequest(name=claim.name), metadata=AS_BILLING).claim
        assert (got.state, got.batch) == (claim_pb2.CLAIM_STATE_SUBMITTED, batch.name)


def test_control_numbers_are_unique_per_batch_and_a_retry_returns_the_first_batch(clinic):
    first = export(clinic, ready(clinic, draft(clinic, "p1", "a1")), request_id="x-1")
    # The claim is submitted now; a retry with the request id repeats the first answer.
    again = clinic.claims.ExportClaims(pb.ExportClaimsRequest(claims=list(first.claims),
                                                              request_id="x-1"),
                                       metadata=AS_BILLING).batch
    assert again == first
    second = export(clinic, ready(clinic, draft(clinic, "p2", "a2")))
    assert_valid_837(second.content)
    assert second.interchange_control_number == first.interchange_control_number + 1
    assert second.group_control_number != first.group_control_number


def test_a_claim_not_ready_is_refused_with_what_is_missing(start_billing):
    billing = start_billing()  # no billing provider configured
    billing.register("p1")
    billing.cover("p1", "cov-1", "60054")
    billing.deliver(completed("a1", "p1", DAY, ("99213", 1)))
    claim = draft(billing, "p1", "a1")
    before = row_counts(billing.runtime)
    with pytest.raises(grpc.RpcError) as refused:
        ready(billing, claim)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "CLAIM_NOT_READY")
    assert "BILLING_PROVIDER" in refused.value.details()
    with pytest.raises(grpc.RpcError) as refused:
        export(billing, claim)
    assert reason(refused.value) == "CLAIM_STATE_CONFLICT"
    assert row_counts(billing.runtime) == before


def test_a_rendering_provider_without_npi_or_an_ended_coverage_keeps_a_claim_draft(clinic):
    visit = completed("a3", "p1", DAY + dt.timedelta(days=1), ("99213", 1))
    visit.rendering_provider_id = "dr-new"  # the clinic has not given this provider's NPI
    clinic.deliver(visit)
    claim = draft(clinic, "p1", "a3")
    with pytest.raises(grpc.RpcError) as refused:
        ready(clinic, claim)
    assert reason(refused.value) == "CLAIM_NOT_READY" and "dr-new" in refused.value.details()
    clinic.cover("p2", "cov-p2", "60054", end=DAY - dt.timedelta(days=1))
    with pytest.raises(grpc.RpcError) as refused:
        ready(clinic, draft(clinic, "p2", "a2"))
    assert reason(refused.value) == "CLAIM_NOT_READY" and "not in force" in \
        refused.value.details()
    bad = claim_pb2.Subscriber()
    bad.CopyFrom(SUBSCRIBER)
    bad.gender = "X"
    with pytest.raises(grpc.RpcError) as refused:
        clinic.claims.MarkClaimReady(pb.MarkClaimReadyRequest(name=claim.name, subscriber=bad),
                                     metadata=AS_BILLING)
    assert reason(refused.value) == "INVALID_FIELD"
    got = clinic.claims.GetClaim(pb.GetClaimRequest(name=claim.name), metadata=AS_BILLING).claim
    assert got.state == claim_pb2.CLAIM_STATE_DRAFT


def test_a_void_frees_the_charges_and_a_submitted_claim_is_not_voided(clinic):
    claim = draft(clinic, "p1", "a1")
    with pytest.raises(grpc.RpcError) as refused:
        clinic.claims.VoidClaim(pb.VoidClaimRequest(name=claim.name), metadata=AS_BILLING)
    assert reason(refused.value) == "INVALID_FIELD"
    voided = clinic.claims.VoidClaim(pb.VoidClaimRequest(name=claim.name, reason="wrong payer"),
                                     metadata=AS_BILLING).claim
    assert (voided.state, voided.void_reason) == (claim_pb2.CLAIM_STATE_VOID, "wrong payer")
    again = ready(clinic, draft(clinic, "p1", "a1"))
    export(clinic, again)
    with pytest.raises(grpc.RpcError) as refused:
        clinic.claims.VoidClaim(pb.VoidClaimRequest(name=again.name, reason="x"),
                                metadata=AS_BILLING)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "CLAIM_STATE_CONFLICT")
    with pytest.raises(grpc.RpcError) as refused:
        ready(clinic, again)
    assert reason(refused.value) == "CLAIM_STATE_CONFLICT"


def test_export_refusals_change_nothing(clinic):
    claim = ready(clinic, draft(clinic, "p1", "a1"))
    before = row_counts(clinic.runtime)
    for names, why in [([], "INVALID_FIELD"), ([claim.name, claim.name], "INVALID_FIELD"),
                       ([claim.name, "accounts/p1/claims/nope"], "CLAIM_NOT_FOUND"),
                       (["accounts/p2/claims/" + claim.claim_id], "CLAIM_NOT_FOUND")]:
        with pytest.raises(grpc.RpcError) as refused:
            clinic.claims.ExportClaims(pb.ExportClaimsRequest(claims=names), metadata=AS_BILLING)
        assert reason(refused.value) == why, names
    assert row_counts(clinic.runtime) == before
