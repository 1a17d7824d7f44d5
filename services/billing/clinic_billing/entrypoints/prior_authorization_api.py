"""PriorAuthorizationService over gRPC: translate requests to commands, results to messages.
No rules here."""

from __future__ import annotations

from clinic.billing.v1 import prior_authorization_pb2
from clinic.billing.v1 import prior_authorization_service_pb2 as pb
from clinic.billing.v1 import prior_authorization_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD
from clinic_common.protoconv import to_date
from clinic_common.runner import RequestKey

from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import authorizations, bookings

UPDATABLE = ("authorization_number", "procedure_codes", "units_authorized", "start_date",
             "end_date", "note")
DEFAULT_UNITS_AT_MOST = 2
DEFAULT_WITHIN_DAYS = 14


class PriorAuthorizationServicer(pb_grpc.PriorAuthorizationServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.rules = deps.policy.coding

    def CreatePriorAuthorization(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.parent, "parent")
        if not request.HasField("prior_authorization"):
            raise FieldViolation("prior_authorization", "is required")
        a = request.prior_authorization
        auth_id = authorizations.create_authorization(authorizations.CreateAuthorization(
            patient_id=patient_id, payer_id=a.payer_id,
            authorization_number=a.authorization_number,
            procedure_codes=tuple(a.procedure_codes), units_authorized=a.units_authorized,
            start_date=to_date(a.start_date, "prior_authorization.start_date", required=False),
            end_date=to_date(a.end_date, "prior_authorization.end_date", required=False),
            note=a.note, key=RequestKey.of(request)), self.runner, self.rules)
        return pb.CreatePriorAuthorizationResponse(
            prior_authorization=self._auth(patient_id, auth_id))

    def GetPriorAuthorization(self, request, context):
        return pb.GetPriorAuthorizationResponse(
            prior_authorization=self._auth(*cv.PRIOR_AUTHORIZATION.parse(request.name)))

    def ListPriorAuthorizations(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        want = paging.page_request(request)
        page = authorizations.list_authorizations(
            self.runner, "" if patient_id == WILDCARD else patient_id, request.payer_id,
            limit=want.size, after=want.after)
        return pb.ListPriorAuthorizationsResponse(
            prior_authorizations=[cv.authorization_to_proto(a) for a in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdatePriorAuthorization(self, request, context):
        a = request.prior_authorization
        patient_id, auth_id = cv.PRIOR_AUTHORIZATION.parse(a.name, "prior_authorization.name")
        paths = cv.mask_paths(request.update_mask.paths, UPDATABLE)
        unset = authorizations.UNSET
        authorizations.update_authorization(authorizations.UpdateAuthorization(
            patient_id=patient_id, authorization_id=auth_id,
            authorization_number=a.authorization_number
            if "authorization_number" in paths else None,
            procedure_codes=tuple(a.procedure_codes) if "procedure_codes" in paths else None,
            units_authorized=a.units_authorized if "units_authorized" in paths else None,
            start_date=to_date(a.start_date, "prior_authorization.start_date", required=False)
            if "start_date" in paths else unset,
            end_date=to_date(a.end_date, "prior_authorization.end_date", required=False)
            if "end_date" in paths else unset,
            note=a.note if "note" in paths else None, key=RequestKey.of(request)), self.runner,
            self.rules)
        return pb.UpdatePriorAuthorizationResponse(
            prior_authorization=self._auth(patient_id, auth_id))

    def VoidPriorAuthorization(self, request, context):
        patient_id, auth_id = cv.PRIOR_AUTHORIZATION.parse(request.name)
        authorizations.void_authorization(patient_id, auth_id, request.reason,
                                          RequestKey.of(request), self.runner, self.rules)
        return pb.VoidPriorAuthorizationResponse(
            prior_authorization=self._auth(patient_id, auth_id))

    def ListExpiringPriorAuthorizations(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        as_of = to_date(request.as_of, "as_of")
        want = paging.page_request(request)
        page = authorizations.list_expiring(
            self.runner, "" if patient_id == WILDCARD else patient_id, as_of,
            units_at_most=request.units_remaining_at_most
            if request.HasField("units_remaining_at_most") else DEFAULT_UNITS_AT_MOST,
            within_days=request.ending_within_days
            if request.HasField("ending_within_days") else DEFAULT_WITHIN_DAYS,
            limit=want.size, after=want.after)
        return pb.ListExpiringPriorAuthorizationsResponse(
            prior_authorizations=[cv.authorization_to_proto(a) for a in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def ListBookingsBeyondAuthorization(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        as_of = to_date(request.as_of, "as_of", required=False)
        want = paging.page_request(request)
        page = bookings.list_beyond_authorization(
            self.runner, "" if patient_id == WILDCARD else patient_id, as_of, limit=want.size,
            after=want.after)
        return pb.ListBookingsBeyondAuthorizationResponse(
            bookings=[cv.booking_to_proto(b) for b in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def _auth(self, patient_id: str, auth_id: str) -> prior_authorization_pb2.PriorAuthorization:
        return cv.authorization_to_proto(
            authorizations.get_authorization(patient_id, auth_id, self.runner))
