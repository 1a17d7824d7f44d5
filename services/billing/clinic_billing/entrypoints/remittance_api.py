"""RemittanceService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.billing.v1 import remittance_pb2 as msg
from clinic.billing.v1 import remittance_service_pb2 as pb
from clinic.billing.v1 import remittance_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import fill_date, timestamp
from clinic_common.runner import RequestKey

from clinic_billing.domain.remittance import Denial, Outcome, Remittance, SuspenseItem
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import remittances
from clinic_billing.service_layer.remittances import RemittanceView

OUTCOMES = {o: msg.PostingOutcome.Value(f"POSTING_OUTCOME_{o.value}") for o in Outcome}
DENIAL_STATES = {"", "OPEN", "REVERSED"}
SUSPENSE_STATES = {"", "OPEN", "APPLIED"}


class RemittanceServicer(pb_grpc.RemittanceServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def ImportRemittance(self, request, context):
        remittance_id, again = remittances.import_remittance(remittances.ImportRemittance(
            content=request.content, key=RequestKey.of(request)), self.runner)
        view = remittances.get_remittance(remittance_id, self.runner)
        return pb.ImportRemittanceResponse(remittance=remittance_to_proto(view),
                                           already_imported=again)

    def GetRemittance(self, request, context):
        remittance_id = cv.REMITTANCE.parse_one(request.name)
        return pb.GetRemittanceResponse(remittance=remittance_to_proto(
            remittances.get_remittance(remittance_id, self.runner)))

    def ListRemittances(self, request, context):
        want = paging.page_request(request)
        page = remittances.list_remittances(self.runner, limit=want.size, after=want.after)
        return pb.ListRemittancesResponse(
            remittances=[remittance_to_proto(RemittanceView(r, [], [])) for r in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def ListDenials(self, request, context):
        if request.state not in DENIAL_STATES:
            raise FieldViolation("state", "must be OPEN or REVERSED")
        want = paging.page_request(request)
        page = remittances.list_denials(self.runner, request.state, request.payer_id,
                                        limit=want.size, after=want.after)
        return pb.ListDenialsResponse(denials=[denial_to_proto(d) for d in page.items],
                                      next_page_token=paging.next_page_token(page.next_key,
                                                                             request))

    def ListSuspenseItems(self, request, context):
        if request.state not in SUSPENSE_STATES:
            raise FieldViolation("state", "must be OPEN or APPLIED")
        want = paging.page_request(request)
        page = remittances.list_suspense(self.runner, request.state, limit=want.size,
                                         after=want.after)
        return pb.ListSuspenseItemsResponse(
            suspense_items=[suspense_to_proto(s) for s in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))


def remittance_to_proto(view: RemittanceView) -> msg.Remittance:
    r: Remittance = view.remittance
    message = msg.Remittance(
        name=cv.REMITTANCE.format(r.remittance_id), remittance_id=r.remittance_id,
        trace_number=r.trace_number, payer_id=r.payer_id, payer_name=r.payer_name,
        payee_id=r.payee_id, deposit_cents=r.deposit_cents, payment_method=r.payment_method,
        provider_adjustments=[msg.ProviderAdjustment(
            reason=a["reason"], reference=a["reference"], amount_cents=int(a["cents"]))
            for a in r.provider_adjustments],
        claims=[msg.RemittanceClaim(
            claim=cv.CLAIM.format(c.patient_id, c.claim_id) if c.claim_id else "",
            claim_reference=c.claim_ref, status_code=c.status, charge_cents=c.charge_cents,
            paid_cents=c.paid_cents, patient_responsibility_cents=c.patient_cents,
            payer_claim_number=c.payer_claim_number, outcome=OUTCOMES[Outcome(c.outcome)],
            adjustments=[msg.ClaimAdjustment(code=f"{a['group']}-{a['reason']}",
                                             amount_cents=int(a["cents"]))
                         for a in c.adjustments]) for c in view.claims],
        suspense_items=[suspense_to_proto(s) for s in view.suspense],
        content_sha256=r.content_sha256, create_time=timestamp(r.created_at),
        create_staff_id=r.created_by)
    fill_date(message.payment_date, r.payment_date)
    return message


def suspense_to_proto(s: SuspenseItem) -> msg.SuspenseItem:
    return msg.SuspenseItem(
        name=cv.SUSPENSE_ITEM.format(s.item_id), remittance=cv.REMITTANCE.format(s.remittance_id),
        claim_reference=s.claim_ref, reason=s.reason, amount_cents=s.amount_cents,
        detail=s.detail, state=s.state, create_time=timestamp(s.created_at),
        applied_to=s.applied_to, apply_staff_id=s.applied_by)


def denial_to_proto(d: Denial) -> msg.Denial:
    return msg.Denial(
        name=cv.DENIAL.format(d.denial_id), claim=cv.CLAIM.format(d.patient_id, d.claim_id),
        payer_id=d.payer_id, remittance=cv.REMITTANCE.format(d.remittance_id),
        reason_codes=d.reason_codes, remark_codes=d.remark_codes, denied_cents=d.denied_cents,
        state=d.state, create_time=timestamp(d.created_at))
