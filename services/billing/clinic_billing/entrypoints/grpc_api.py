"""BillingService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import billing_service_pb2 as pb
from clinic.billing.v1 import billing_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.access import acts_as
from clinic_common.errors import FieldViolation
from clinic_common.identity import Role
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey, Runner

from clinic_billing.adapters.repository import ChargeFilter
from clinic_billing.domain.model import LineItem
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.entrypoints import convert as cv
from clinic_billing.service_layer import queries, staff
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


class BillingServicer(pb_grpc.BillingServiceServicer):
    def __init__(self, runner: Runner[BillingUnitOfWork], policy: BillingPolicy):
        self.runner = runner
        self.policy = policy

    def GetAccount(self, request, context):
        view = queries.get_account(cv.ACCOUNT.parse_one(request.name), self.runner)
        return pb.GetAccountResponse(account=cv.account_to_proto(view))

    def ListAccounts(self, request, context):
        want = paging.page_request(request)
        page = queries.list_accounts(self.runner, limit=want.size, after=want.after)
        return pb.ListAccountsResponse(
            accounts=[cv.account_to_proto(v) for v in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def CreateCharge(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.parent, "parent")
        if not request.HasField("charge"):
            raise FieldViolation("charge", "is required")
        c = request.charge
        charge_id = staff.create_charge(staff.CreateCharge(
            patient_id=patient_id,
            item=LineItem(c.procedure_code, c.units, tuple(c.modifiers), tuple(c.diagnosis_codes)),
            service_date=to_date(c.service_date, "charge.service_date", required=False),
            appointment_id=c.appointment_id, location_id=c.location_id,
            responsibility=cv.requested_responsibility(c.responsibility),
            key=RequestKey.of(request)), self.runner, self.policy)
        return pb.CreateChargeResponse(charge=self._charge(charge_id))

    def GetCharge(self, request, context):
        return pb.GetChargeResponse(charge=self._charge(cv.CHARGE.parse_one(request.name)))

    def ListCharges(self, request, context):
        flt = ChargeFilter(
            patient_id=request.patient_id, appointment_id=request.appointment_id,
            start_date=to_date(request.start_date, "start_date", required=False),
            end_date=to_date(request.end_date, "end_date", required=False))
        want = paging.page_request(request)
        page = queries.list_charges(self.runner, flt, limit=want.size, after=want.after)
        return pb.ListChargesResponse(
            charges=[_charge_out(c) for c in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def VoidCharge(self, request, context):
        charge_id = staff.void_charge(staff.VoidCharge(
            charge_id=cv.CHARGE.parse_one(request.name), reason=request.reason,
            key=RequestKey.of(request)), self.runner)
        return pb.VoidChargeResponse(charge=self._charge(charge_id))

    def ListFeeSchedule(self, request, context):
        want = paging.page_request(request)
        page = queries.list_fee_schedule(self.runner, self.policy, limit=want.size,
                                         after=want.after)
        return pb.ListFeeScheduleResponse(
            entries=[cv.fee_entry_to_proto(e) for e in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def GetFeeScheduleEntry(self, request, context):
        code = cv.FEE_SCHEDULE_ENTRY.parse_one(request.name)
        entry = queries.get_fee_entry(code, self.runner, self.policy)
        return pb.GetFeeScheduleEntryResponse(entry=cv.fee_entry_to_proto(entry))

    def _charge(self, charge_id: str):
        return _charge_out(queries.get_charge(charge_id, self.runner))


def _charge_out(charge):
    # The front desk collects at the desk; diagnoses are for those who code claims.
    return cv.charge_to_proto(charge, diagnoses=acts_as((Role.BILLING, Role.ADMIN)))
