"""ChargeService over gRPC: translate requests to commands, results to messages. No rules here.

A charge is named under its account, ``accounts/{account}/charges/{charge}``; a
name whose account is not the charge's is NOT_FOUND, as an unknown charge is.
"""

from __future__ import annotations

from clinic.billing.v1 import charge_service_pb2 as pb
from clinic.billing.v1 import charge_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.access import acts_as
from clinic_common.errors import FieldViolation
from clinic_common.identity import Role
from clinic_common.names import WILDCARD
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey

from clinic_billing.adapters.repository import ChargeFilter
from clinic_billing.domain.model import LineItem
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import queries, staff


class ChargeServicer(pb_grpc.ChargeServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

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
        return pb.CreateChargeResponse(charge=self._charge(patient_id, charge_id))

    def GetCharge(self, request, context):
        return pb.GetChargeResponse(charge=self._charge(*cv.CHARGE.parse(request.name)))

    def ListCharges(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        flt = ChargeFilter(
            patient_id="" if patient_id == WILDCARD else patient_id,
            appointment_id=request.appointment_id,
            start_date=to_date(request.start_date, "start_date", required=False),
            end_date=to_date(request.end_date, "end_date", required=False))
        want = paging.page_request(request)
        page = queries.list_charges(self.runner, flt, limit=want.size, after=want.after)
        return pb.ListChargesResponse(
            charges=[_charge_out(c) for c in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def VoidCharge(self, request, context):
        patient_id, charge_id = cv.CHARGE.parse(request.name)
        staff.void_charge(staff.VoidCharge(
            patient_id=patient_id, charge_id=charge_id, reason=request.reason,
            key=RequestKey.of(request)), self.runner, self.policy.coding)
        return pb.VoidChargeResponse(charge=self._charge(patient_id, charge_id))

    def _charge(self, patient_id: str, charge_id: str):
        return _charge_out(queries.get_charge(patient_id, charge_id, self.runner))


def _charge_out(charge):
    # The front desk collects at the desk; diagnoses are for those who code claims.
    return cv.charge_to_proto(charge, diagnoses=acts_as((Role.BILLING, Role.ADMIN)))
