"""ClaimService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import claim_pb2
from clinic.billing.v1 import claim_service_pb2 as pb
from clinic.billing.v1 import claim_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey

from clinic_billing.adapters.repository import ClaimFilter
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import claims, secondary_claims


class ClaimServicer(pb_grpc.ClaimServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.deps = deps

    def CreateClaim(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.parent, "parent")
        charge_ids = []
        for index, name in enumerate(request.charges):
            account, charge_id = cv.CHARGE.parse(name, f"charges[{index}]")
            if account != patient_id:
                raise FieldViolation(f"charges[{index}]", "is not a charge of the parent account")
            charge_ids.append(charge_id)
        claim_id = claims.create_claim(claims.CreateClaim(
            patient_id=patient_id, charge_ids=charge_ids, key=RequestKey.of(request)), self.runner)
        return pb.CreateClaimResponse(claim=self._claim(patient_id, claim_id))

    def GetClaim(self, request, context):
        return pb.GetClaimResponse(claim=self._claim(*cv.CLAIM.parse(request.name)))

    def ListClaims(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        flt = ClaimFilter(patient_id="" if patient_id == WILDCARD else patient_id,
                          state=cv.claim_state(request.state))
        want = paging.page_request(request)
        page = claims.list_claims(self.runner, flt, limit=want.size, after=want.after)
        return pb.ListClaimsResponse(
            claims=[cv.claim_to_proto(c) for c in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def MarkClaimReady(self, request, context):
        patient_id, claim_id = cv.CLAIM.parse(request.name)
        claims.mark_claim_ready(claims.MarkClaimReady(
            patient_id=patient_id, claim_id=claim_id, subscriber=cv.subscriber(request.subscriber),
            key=RequestKey.of(request)), self.deps.provider, self.runner, self.deps.policy.today)
        return pb.MarkClaimReadyResponse(claim=self._claim(patient_id, claim_id))

    def VoidClaim(self, request, context):
        patient_id, claim_id = cv.CLAIM.parse(request.name)
        claims.void_claim(claims.VoidClaim(patient_id=patient_id, claim_id=claim_id,
                                           reason=request.reason, key=RequestKey.of(request)),
                          self.runner)
        return pb.VoidClaimResponse(claim=self._claim(patient_id, claim_id))

    def ExportClaims(self, request, context):
        named = [cv.CLAIM.parse(name, f"claims[{index}]")
                 for index, name in enumerate(request.claims)]
        batch_id = claims.export_claims(
            claims.ExportClaims(claims=named, key=RequestKey.of(request)), self.deps.provider,
            self.deps.envelope, self.runner, self.deps.policy.today)
        batch = claims.get_batch(batch_id, self.runner)
        patients = dict((claim_id, patient_id) for patient_id, claim_id in named)
        return pb.ExportClaimsResponse(batch=cv.batch_to_proto(batch, patients))

    def MarkClaimAccepted(self, request, context):
        patient_id, claim_id = cv.CLAIM.parse(request.name)
        self._move(request, claims.MoveClaim(
            patient_id=patient_id, claim_id=claim_id, to="ACCEPTED",
            reference=request.payer_claim_number,
            on=to_date(request.accept_date, "accept_date", required=False),
            key=RequestKey.of(request)))
        return pb.MarkClaimAcceptedResponse(claim=self._claim(patient_id, claim_id))

    def AppealClaim(self, request, context):
        patient_id, claim_id = cv.CLAIM.parse(request.name)
        self._move(request, claims.MoveClaim(
            patient_id=patient_id, claim_id=claim_id, to="APPEALED", note=request.note,
            on=to_date(request.appeal_date, "appeal_date", required=False),
            key=RequestKey.of(request)))
        return pb.AppealClaimResponse(claim=self._claim(patient_id, claim_id))

    def CloseClaim(self, request, context):
        patient_id, claim_id = cv.CLAIM.parse(request.name)
        self._move(request, claims.MoveClaim(
            patient_id=patient_id, claim_id=claim_id, to="CLOSED", note=request.reason,
            key=RequestKey.of(request)))
        return pb.CloseClaimResponse(claim=self._claim(patient_id, claim_id))

    def CreateSecondaryClaim(self, request, context):
        patient_id, primary_id = cv.CLAIM.parse(request.primary_claim, "primary_claim")
        claim_id = secondary_claims.create_secondary_claim(secondary_claims.CreateSecondaryClaim(
            patient_id=patient_id, primary_claim_id=primary_id, key=RequestKey.of(request)),
            self.runner)
        return pb.CreateSecondaryClaimResponse(claim=self._claim(patient_id, claim_id))

    def ListClaimTransitions(self, request, context):
        patient_id, claim_id = cv.CLAIM.parse(request.parent, "parent")
        want = paging.page_request(request)
        page = claims.claim_history(patient_id, claim_id, self.runner, limit=want.size,
                                    after=want.after)
        return pb.ListClaimTransitionsResponse(
            transitions=[cv.transition_to_proto(patient_id, t) for t in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def _move(self, request, cmd: claims.MoveClaim) -> None:
        claims.move_claim(cmd, self.runner, self.deps.policy.today)

    def _claim(self, patient_id: str, claim_id: str) -> claim_pb2.Claim:
        return cv.claim_to_proto(claims.get_claim(patient_id, claim_id, self.runner))
