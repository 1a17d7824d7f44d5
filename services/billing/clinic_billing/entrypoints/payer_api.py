"""PayerService over gRPC (payers and their contracted rates): translate requests to
commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import payer_pb2
from clinic.billing.v1 import payer_service_pb2 as pb
from clinic.billing.v1 import payer_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import check_id
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey

from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import payers, rates

UPDATABLE = ("display_name", "kind", "prior_authorization_codes")
RATE_UPDATABLE = ("allowed_cents", "effective_to")


class PayerServicer(pb_grpc.PayerServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.rules = deps.policy.coding

    def CreatePayer(self, request, context):
        payer_id = check_id(request.payer_id, "payer_id")
        if not request.HasField("payer"):
            raise FieldViolation("payer", "is required")
        payers.create_payer(payers.CreatePayer(
            payer_id=payer_id, display_name=request.payer.display_name,
            kind=cv.payer_kind(request.payer.kind, required=False),
            prior_authorization_codes=tuple(request.payer.prior_authorization_codes),
            key=RequestKey.of(request)), self.runner)
        return pb.CreatePayerResponse(payer=self._payer(payer_id))

    def GetPayer(self, request, context):
        return pb.GetPayerResponse(payer=self._payer(cv.PAYER.parse_one(request.name)))

    def ListPayers(self, request, context):
        want = paging.page_request(request)
        page = payers.list_payers(self.runner, limit=want.size, after=want.after)
        return pb.ListPayersResponse(
            payers=[cv.payer_to_proto(p) for p in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdatePayer(self, request, context):
        payer_id = cv.PAYER.parse_one(request.payer.name, "payer.name")
        paths = cv.mask_paths(request.update_mask.paths, UPDATABLE)
        payers.update_payer(payers.UpdatePayer(
            payer_id=payer_id,
            display_name=request.payer.display_name if "display_name" in paths else None,
            kind=cv.payer_kind(request.payer.kind, required=True) if "kind" in paths else None,
            prior_authorization_codes=tuple(request.payer.prior_authorization_codes)
            if "prior_authorization_codes" in paths else None,
            key=RequestKey.of(request)), self.runner, self.rules)
        return pb.UpdatePayerResponse(payer=self._payer(payer_id))

    def DeletePayer(self, request, context):
        payers.delete_payer(cv.PAYER.parse_one(request.name), RequestKey.of(request), self.runner)
        return pb.DeletePayerResponse()

    def CreateContractedRate(self, request, context):
        payer_id = cv.PAYER.parse_one(request.parent, "parent")
        if not request.HasField("rate"):
            raise FieldViolation("rate", "is required")
        r = request.rate
        rate_id = rates.create_rate(rates.CreateRate(
            payer_id=payer_id, procedure_code=r.procedure_code, allowed_cents=r.allowed_cents,
            modifier=r.modifier,
            effective_from=to_date(r.effective_from, "rate.effective_from", required=False),
            effective_to=to_date(r.effective_to, "rate.effective_to", required=False),
            key=RequestKey.of(request)), self.runner)
        return pb.CreateContractedRateResponse(rate=self._rate(payer_id, rate_id))

    def GetContractedRate(self, request, context):
        return pb.GetContractedRateResponse(rate=self._rate(*cv.RATE.parse(request.name)))

    def ListContractedRates(self, request, context):
        payer_id = cv.PAYER.parse_one(request.parent, "parent")
        want = paging.page_request(request)
        page = rates.list_rates(payer_id, request.procedure_code, self.runner, limit=want.size,
                                after=want.after)
        return pb.ListContractedRatesResponse(
            rates=[cv.rate_to_proto(r) for r in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdateContractedRate(self, request, context):
        payer_id, rate_id = cv.RATE.parse(request.rate.name, "rate.name")
        paths = cv.mask_paths(request.update_mask.paths, RATE_UPDATABLE)
        r = request.rate
        rates.update_rate(rates.UpdateRate(
            payer_id=payer_id, rate_id=rate_id,
            allowed_cents=r.allowed_cents if "allowed_cents" in paths else None,
            effective_to=to_date(r.effective_to, "rate.effective_to", required=False)
            if "effective_to" in paths else rates.UNSET,
            key=RequestKey.of(request)), self.runner)
        return pb.UpdateContractedRateResponse(rate=self._rate(payer_id, rate_id))

    def DeleteContractedRate(self, request, context):
        payer_id, rate_id = cv.RATE.parse(request.name)
        rates.delete_rate(payer_id, rate_id, RequestKey.of(request), self.runner)
        return pb.DeleteContractedRateResponse()

    def _rate(self, payer_id: str, rate_id: str):
        return cv.rate_to_proto(rates.get_rate(payer_id, rate_id, self.runner))

    def _payer(self, payer_id: str) -> payer_pb2.Payer:
        return cv.payer_to_proto(payers.get_payer(payer_id, self.runner))
