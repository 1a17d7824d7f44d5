"""AccountService over gRPC: translate requests to queries, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import account_service_pb2 as pb
from clinic.billing.v1 import account_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import fill_date, to_date

from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import queries, superbills


class AccountServicer(pb_grpc.AccountServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.provider = deps.provider
        self.policy = deps.policy

    def GetAccount(self, request, context):
        view = queries.get_account(cv.ACCOUNT.parse_one(request.name), self.runner)
        return pb.GetAccountResponse(account=cv.account_to_proto(view))

    def ListAccounts(self, request, context):
        want = paging.page_request(request)
        page = queries.list_accounts(self.runner, limit=want.size, after=want.after)
        return pb.ListAccountsResponse(
            accounts=[cv.account_to_proto(v) for v in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def GetSuperbill(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.name)
        start = to_date(request.start_date, "start_date")
        end = to_date(request.end_date, "end_date")
        if end < start:
            raise FieldViolation("end_date", "is before start_date")
        document = superbills.get_superbill(patient_id, start, end, self.provider, self.policy,
                                            self.runner)
        bill = document.superbill
        response = pb.GetSuperbillResponse(
            pdf=document.pdf, filename=bill.filename, diagnosis_codes=bill.diagnosis_codes,
            charged_cents=bill.charged_cents, paid_cents=bill.paid_cents,
            billing_provider_name=bill.provider.name, billing_provider_npi=bill.provider.npi,
            billing_provider_tax_id=bill.provider.tax_id)
        names = bill.provider.rendering_names
        for item in bill.lines:
            c = item.charge
            line = response.lines.add(
                charge=cv.CHARGE.format(c.patient_id, c.charge_id),
                procedure_code=c.procedure_code, modifiers=c.modifiers,
                description=item.description, diagnosis_codes=c.diagnosis_codes, units=c.units,
                place_of_service=item.place_of_service,
                rendering_provider_id=c.rendering_provider_id,
                rendering_provider_npi=item.rendering_npi, charge_cents=c.amount_cents,
                rendering_provider_name=names[c.rendering_provider_id].display
                if c.rendering_provider_id in names else "",
                paid_cents=item.paid_cents)
            fill_date(line.service_date, c.service_date)
        return response
