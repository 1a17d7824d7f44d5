"""AccountService over gRPC: translate requests to queries, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import account_service_pb2 as pb
from clinic.billing.v1 import account_service_pb2_grpc as pb_grpc
from clinic_common import paging

from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import queries


class AccountServicer(pb_grpc.AccountServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def GetAccount(self, request, context):
        view = queries.get_account(cv.ACCOUNT.parse_one(request.name), self.runner)
        return pb.GetAccountResponse(account=cv.account_to_proto(view))

    def ListAccounts(self, request, context):
        want = paging.page_request(request)
        page = queries.list_accounts(self.runner, limit=want.size, after=want.after)
        return pb.ListAccountsResponse(
            accounts=[cv.account_to_proto(v) for v in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))
