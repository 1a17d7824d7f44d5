"""GetAccount and ListAccounts over a real gRPC socket, on SQLite and PostgreSQL."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import account_service_pb2 as account_pb

from tests.billing.support import completed, reason


def test_unknown_account_is_not_found(billing):
    with pytest.raises(grpc.RpcError) as refused:
        billing.accounts.GetAccount(account_pb.GetAccountRequest(name="accounts/nobody"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason(refused.value) == "ACCOUNT_NOT_FOUND"


@pytest.mark.parametrize("name", ["", "patients/p1", "accounts/", "accounts/p1/charges"])
def test_malformed_account_name_is_invalid(billing, name):
    with pytest.raises(grpc.RpcError) as refused:
        billing.accounts.GetAccount(account_pb.GetAccountRequest(name=name))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_list_pages_through_all_accounts_in_patient_id_order(billing):
    for patient_id in ["p3", "p1", "p5", "p2", "p4"]:
        billing.register(patient_id)
    seen, token = [], ""
    while True:
        page = billing.accounts.ListAccounts(account_pb.ListAccountsRequest(page_size=2, page_token=token))
        assert len(page.accounts) <= 2
        seen += [a.patient_id for a in page.accounts]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["p1", "p2", "p3", "p4", "p5"]


def test_listed_accounts_carry_their_balances(billing):
    billing.deliver(completed("a1", "p1", dt.date(2026, 3, 10), ("99214", 1)))
    billing.register("p2")
    accounts = billing.accounts.ListAccounts(account_pb.ListAccountsRequest()).accounts
    assert [(a.patient_id, a.patient_balance_cents) for a in accounts] == [("p1", 17500), ("p2", 0)]


@pytest.mark.parametrize("token", ["%%%", "eyJ4IjogMX0="])  # not base64 JSON; JSON without "after"
def test_garbage_page_token_is_invalid_argument(billing, token):
    with pytest.raises(grpc.RpcError) as refused:
        billing.accounts.ListAccounts(account_pb.ListAccountsRequest(page_token=token))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason(refused.value) == "INVALID_PAGE_TOKEN"


def test_negative_page_size_is_invalid_argument(billing):
    with pytest.raises(grpc.RpcError) as refused:
        billing.accounts.ListAccounts(account_pb.ListAccountsRequest(page_size=-1))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
