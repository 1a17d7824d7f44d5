"""PaymentService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.billing.v1 import payment_pb2 as msg
from clinic.billing.v1 import payment_service_pb2 as pb
from clinic.billing.v1 import payment_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD
from clinic_common.protoconv import timestamp
from clinic_common.runner import RequestKey

from clinic_billing.domain.payment import Payment, PaymentKind, PaymentMethod, WriteOff
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.entrypoints.remittance_api import suspense_to_proto
from clinic_billing.service_layer import payments

METHODS = {m: msg.PaymentMethod.Value(f"PAYMENT_METHOD_{m.value}") for m in PaymentMethod}
METHOD_OF = {v: k for k, v in METHODS.items()}
KINDS = {k: msg.PaymentKind.Value(f"PAYMENT_KIND_{k.value}") for k in PaymentKind}


class PaymentServicer(pb_grpc.PaymentServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def RecordPayment(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.parent, "parent")
        p = request.payment
        if p.method not in METHOD_OF and p.method != msg.PAYMENT_METHOD_UNSPECIFIED:
            raise FieldViolation("payment.method", f"unknown value {p.method}")
        payment_id = payments.record_payment(payments.RecordPayment(
            patient_id=patient_id, method=METHOD_OF.get(p.method), amount_cents=p.amount_cents,
            reference=p.reference, location_id=p.location_id, key=RequestKey.of(request)),
            self.runner)
        return pb.RecordPaymentResponse(payment=self._payment(patient_id, payment_id))

    def GetPayment(self, request, context):
        return pb.GetPaymentResponse(payment=self._payment(*cv.PAYMENT.parse(request.name)))

    def ListPayments(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        want = paging.page_request(request)
        page = payments.list_payments("" if patient_id == WILDCARD else patient_id, self.runner,
                                      limit=want.size, after=want.after)
        return pb.ListPaymentsResponse(payments=[payment_to_proto(p) for p in page.items],
                                       next_page_token=paging.next_page_token(page.next_key,
                                                                              request))

    def RefundPayment(self, request, context):
        patient_id, payment_id = cv.PAYMENT.parse(request.name)
        refund_id = payments.refund_payment(payments.RefundPayment(
            patient_id=patient_id, payment_id=payment_id, amount_cents=request.amount_cents,
            reason=request.reason, key=RequestKey.of(request)), self.runner)
        return pb.RefundPaymentResponse(refund=self._payment(patient_id, refund_id))

    def CreateWriteOff(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.parent, "parent")
        claim_id = ""
        if request.claim:
            account, claim_id = cv.CLAIM.parse(request.claim, "claim")
            if account != patient_id:
                raise FieldViolation("claim", "is not a claim of the parent account")
        if request.responsibility == 0:
            raise FieldViolation("responsibility", "is required: PATIENT or INSURANCE")
        write_off_id = payments.write_off(payments.WriteOffBalance(
            patient_id=patient_id, responsibility=cv.requested_responsibility(
                request.responsibility), amount_cents=request.amount_cents,
            reason=request.reason, approver_id=request.approver_staff_id, claim_id=claim_id,
            key=RequestKey.of(request)), self.runner)
        return pb.CreateWriteOffResponse(write_off=write_off_to_proto(
            payments.get_write_off(write_off_id, self.runner)))

    def ApplySuspenseItem(self, request, context):
        item_id = cv.SUSPENSE_ITEM.parse_one(request.name)
        if cv.CLAIM.matches(request.target):
            patient_id, claim_id = cv.CLAIM.parse(request.target, "target")
        else:
            patient_id, claim_id = cv.ACCOUNT.parse_one(request.target, "target"), ""
        payments.apply_suspense(payments.ApplySuspense(
            item_id=item_id, patient_id=patient_id, claim_id=claim_id,
            key=RequestKey.of(request)), self.runner)
        return pb.ApplySuspenseItemResponse(suspense_item=suspense_to_proto(
            payments.get_suspense(item_id, self.runner)))

    def _payment(self, patient_id: str, payment_id: str) -> msg.Payment:
        return payment_to_proto(payments.get_payment(patient_id, payment_id, self.runner))


def payment_to_proto(p: Payment) -> msg.Payment:
    return msg.Payment(
        name=cv.PAYMENT.format(p.patient_id, p.payment_id), payment_id=p.payment_id,
        kind=KINDS[p.kind], method=METHODS[p.method], amount_cents=p.amount_cents,
        reference=p.reference, location_id=p.location_id, reason=p.reason,
        refunded_payment=cv.PAYMENT.format(p.patient_id, p.refunds_payment_id)
        if p.refunds_payment_id else "", create_time=timestamp(p.created_at),
        create_staff_id=p.created_by)


def write_off_to_proto(w: WriteOff) -> msg.WriteOff:
    return msg.WriteOff(
        name=cv.WRITE_OFF.format(w.patient_id, w.write_off_id),
        responsibility=cv.RESPONSIBILITIES[w.responsibility], amount_cents=w.amount_cents,
        reason=w.reason, approver_staff_id=w.approver_id,
        claim=cv.CLAIM.format(w.patient_id, w.claim_id) if w.claim_id else "",
        create_time=timestamp(w.created_at), create_staff_id=w.created_by)
