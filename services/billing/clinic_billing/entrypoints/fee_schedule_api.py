"""FeeScheduleService over gRPC: translate requests to queries, results to messages."""

from __future__ import annotations

from clinic.billing.v1 import fee_schedule_pb2 as msg
from clinic.billing.v1 import fee_schedule_service_pb2 as pb
from clinic.billing.v1 import fee_schedule_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import fill_date, timestamp, to_date
from clinic_common.runner import RequestKey

from clinic_billing.domain.pricing import PriceKind, PriceVersion
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import prices, queries
from clinic_billing.service_layer.prices import PolicyFeeView


class FeeScheduleServicer(pb_grpc.FeeScheduleServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def ListFeeScheduleEntries(self, request, context):
        want = paging.page_request(request)
        page = queries.list_fee_schedule(self.runner, self.policy, limit=want.size,
                                         after=want.after)
        return pb.ListFeeScheduleEntriesResponse(
            entries=[cv.fee_entry_to_proto(e) for e in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def GetFeeScheduleEntry(self, request, context):
        code = cv.FEE_SCHEDULE_ENTRY.parse_one(request.name)
        entry = queries.get_fee_entry(code, self.runner, self.policy)
        return pb.GetFeeScheduleEntryResponse(entry=cv.fee_entry_to_proto(entry))

    def UpdateFeeScheduleEntry(self, request, context):
        code = cv.FEE_SCHEDULE_ENTRY.parse_one(request.entry.name, "entry.name")
        _mask(request.update_mask.paths, tuple(_ENTRY_PRICES))
        if len(request.update_mask.paths) != 1:
            raise FieldViolation("update_mask", "names one price: self_pay_price_cents or "
                                 "list_price_cents (each is a version of its own)")
        path = request.update_mask.paths[0]
        version_id = prices.set_price(prices.SetPrice(
            procedure_code=code, amount_cents=getattr(request.entry, path),
            effective_from=to_date(request.effective_date, "effective_date"),
            key=RequestKey.of(request), price_kind=_ENTRY_PRICES[path]), self.runner)
        version, entry = prices.get_version(version_id, self.policy, self.runner)
        return pb.UpdateFeeScheduleEntryResponse(entry=cv.fee_entry_to_proto(entry),
                                                 price_version=version_to_proto(version))

    def ListPriceVersions(self, request, context):
        code = cv.FEE_SCHEDULE_ENTRY.parse_one(request.parent, "parent")
        want = paging.page_request(request)
        page = prices.list_versions(code, self.runner, limit=want.size, after=want.after)
        return pb.ListPriceVersionsResponse(
            price_versions=[version_to_proto(v) for v in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def ListPolicyFees(self, request, context):
        return pb.ListPolicyFeesResponse(policy_fees=[
            policy_fee_to_proto(view) for view in prices.policy_fees(self.runner, self.policy)])

    def UpdatePolicyFee(self, request, context):
        fee = cv.POLICY_FEE.parse_one(request.policy_fee.name, "policy_fee.name")
        _mask(request.update_mask.paths, ("amount_cents",))
        effective = to_date(request.effective_date, "effective_date")
        version_id = prices.set_price(prices.SetPrice(
            procedure_code=fee, amount_cents=request.policy_fee.amount_cents,
            effective_from=effective, policy_fee=True, key=RequestKey.of(request)),
            self.runner)
        version, entry = prices.get_version(version_id, self.policy, self.runner)
        return pb.UpdatePolicyFeeResponse(
            policy_fee=policy_fee_to_proto(PolicyFeeView(entry, version)),
            price_version=version_to_proto(version))


_ENTRY_PRICES = {"self_pay_price_cents": PriceKind.SELF_PAY,
                 "list_price_cents": PriceKind.LIST}
_KIND_TO_PROTO = {PriceKind.SELF_PAY: msg.PRICE_KIND_SELF_PAY, PriceKind.LIST: msg.PRICE_KIND_LIST}


def _mask(paths, allowed: tuple[str, ...]) -> None:
    if not paths:
        raise FieldViolation("update_mask", "is required: name the fields to change")
    for path in paths:
        if path not in allowed:
            raise FieldViolation("update_mask", f"{path!r} is not a field that can be changed")


def version_to_proto(v: PriceVersion) -> msg.PriceVersion:
    message = msg.PriceVersion(
        name=cv.PRICE_VERSION.format(v.procedure_code, v.version_id),
        procedure_code=v.procedure_code, amount_cents=v.amount_cents,
        create_time=timestamp(v.created_at), create_staff_id=v.created_by,
        price_kind=_KIND_TO_PROTO[v.price_kind])
    fill_date(message.effective_date, v.effective_from)
    return message


def policy_fee_to_proto(view: PolicyFeeView) -> msg.PolicyFee:
    code = view.entry.procedure_code
    message = msg.PolicyFee(name=cv.POLICY_FEE.format(code),
                            amount_cents=view.entry.self_pay_price_cents,
                            fee_schedule_entry=cv.FEE_SCHEDULE_ENTRY.format(code))
    if view.version is not None:
        fill_date(message.effective_date, view.version.effective_from)
    return message
