"""BillingService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from clinic.billing.v1 import billing_service_pb2 as pb
from clinic.billing.v1 import billing_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import to_date
from clinic_common.unit_of_work import fingerprint

from clinic_billing.adapters.repository import ChargeFilter
from clinic_billing.domain.model import LineItem
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.entrypoints import convert as cv
from clinic_billing.service_layer import queries, staff
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


def _next_token(page: list, more: bool, key: Callable[[object], list], **bound) -> str:
    return paging.encode_token({"after": key(page[-1]), **bound}) if more else ""


def _bad_token() -> FieldViolation:
    return FieldViolation("page_token", "is not a token for this request",
                          reason="INVALID_PAGE_TOKEN")


class BillingServicer(pb_grpc.BillingServiceServicer):
    def __init__(self, uow_factory: Callable[[], BillingUnitOfWork], policy: BillingPolicy):
        self.uow = uow_factory
        self.policy = policy

    def GetAccount(self, request, context):
        view = queries.get_account(cv.id_from_name(request.name, cv.ACCOUNTS), self.uow())
        return pb.GetAccountResponse(account=cv.account_to_proto(view))

    def ListAccounts(self, request, context):
        limit = paging.page_size(request.page_size)
        token = paging.decode_token(request.page_token)
        after = token.get("after") if token else None
        if token is not None and not isinstance(after, str):
            raise _bad_token()
        views = queries.list_accounts(self.uow(), limit=limit + 1, after=after)
        page = views[:limit]
        return pb.ListAccountsResponse(
            accounts=[cv.account_to_proto(v) for v in page],
            next_page_token=_next_token(page, len(views) > limit, lambda v: v.account.patient_id))

    def CreateCharge(self, request, context):
        patient_id = cv.id_from_name(request.parent, cv.ACCOUNTS, "parent")
        if not request.HasField("charge"):
            raise FieldViolation("charge", "is required")
        c = request.charge
        charge_id = staff.create_charge(staff.CreateCharge(
            patient_id=patient_id,
            item=LineItem(c.procedure_code, c.units, tuple(c.modifiers), tuple(c.diagnosis_codes)),
            service_date=to_date(c.service_date, "charge.service_date", required=False),
            appointment_id=c.appointment_id, location_id=c.location_id,
            responsibility=cv.requested_responsibility(c.responsibility),
            request_id=request.request_id, fingerprint=fingerprint(request)),
            self.uow(), self.policy)
        return pb.CreateChargeResponse(charge=self._charge(charge_id))

    def GetCharge(self, request, context):
        return pb.GetChargeResponse(charge=self._charge(cv.id_from_name(request.name, cv.CHARGES)))

    def ListCharges(self, request, context):
        limit = paging.page_size(request.page_size)
        flt = ChargeFilter(
            patient_id=request.patient_id, appointment_id=request.appointment_id,
            start_date=to_date(request.start_date, "start_date", required=False),
            end_date=to_date(request.end_date, "end_date", required=False))
        bound = [flt.patient_id, flt.appointment_id, str(flt.start_date), str(flt.end_date)]
        after = self._charge_position(paging.decode_token(request.page_token), bound)
        charges = queries.list_charges(self.uow(), flt, limit=limit + 1, after=after)
        page = charges[:limit]
        return pb.ListChargesResponse(
            charges=[cv.charge_to_proto(c) for c in page],
            next_page_token=_next_token(page, len(charges) > limit,
                                        lambda c: [c.service_date.isoformat(), c.charge_id],
                                        filter=bound))

    @staticmethod
    def _charge_position(token: dict | None, bound: list[str]) -> tuple[dt.date, str] | None:
        """The key a token continues after; a token only serves the filters it was made for."""
        if token is None:
            return None
        try:
            day, charge_id = token["after"]
            position = (dt.date.fromisoformat(day), str(charge_id))
        except (KeyError, TypeError, ValueError):
            raise _bad_token() from None
        if token.get("filter") != bound:
            raise _bad_token()
        return position

    def VoidCharge(self, request, context):
        charge_id = staff.void_charge(staff.VoidCharge(
            charge_id=cv.id_from_name(request.name, cv.CHARGES), reason=request.reason,
            request_id=request.request_id, fingerprint=fingerprint(request)), self.uow())
        return pb.VoidChargeResponse(charge=self._charge(charge_id))

    def ListFeeSchedule(self, request, context):
        limit = paging.page_size(request.page_size)
        token = paging.decode_token(request.page_token)
        after = token.get("after") if token else None
        if token is not None and not isinstance(after, str):
            raise _bad_token()
        entries = queries.list_fee_schedule(self.uow(), self.policy, limit=limit + 1, after=after)
        page = entries[:limit]
        return pb.ListFeeScheduleResponse(
            entries=[cv.fee_entry_to_proto(e) for e in page],
            next_page_token=_next_token(page, len(entries) > limit, lambda e: e.procedure_code))

    def GetFeeScheduleEntry(self, request, context):
        code = cv.id_from_name(request.name, cv.FEE_SCHEDULE_ENTRIES)
        entry = queries.get_fee_entry(code, self.uow(), self.policy)
        return pb.GetFeeScheduleEntryResponse(entry=cv.fee_entry_to_proto(entry))

    def _charge(self, charge_id: str):
        return cv.charge_to_proto(queries.get_charge(charge_id, self.uow()))
