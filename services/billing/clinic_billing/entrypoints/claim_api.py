"""ClaimService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import claim_pb2
from clinic.billing.v1 import claim_service_pb2 as pb
from clinic.billing.v1 import claim_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD
from clinic_common.runner import RequestKey

from clinic_billing.adapters.repository import ClaimFilter
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import claims


class ClaimServicer(pb_grpc.ClaimServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

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

    def _claim(self, patient_id: str, claim_id: str) -> claim_pb2.Claim:
        return cv.claim_to_proto(claims.get_claim(patient_id, claim_id, self.runner))
