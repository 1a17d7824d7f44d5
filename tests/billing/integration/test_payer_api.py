"""PayerService over gRPC on SQLite and PostgreSQL: the billing team keeps payers."""

import grpc
import pytest
from clinic.billing.v1 import payer_pb2
from clinic.billing.v1 import payer_service_pb2 as pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from google.protobuf.field_mask_pb2 import FieldMask

from tests.billing.support import reason, row_counts

AS_BILLING = auth.metadata(Role.BILLING, sub="biller-7")


def _create(billing, payer_id="60054", name="Aetna", kind=payer_pb2.PAYER_KIND_COMMERCIAL, **kw):
    return billing.payers.CreatePayer(pb.CreatePayerRequest(
        payer_id=payer_id, payer=payer_pb2.Payer(display_name=name, kind=kind), **kw),
        metadata=AS_BILLING).payer


def test_a_payer_is_created_read_listed_and_attributed_to_its_creator(billing):
    created = _create(billing)
    assert (created.name, created.payer_id, created.display_name, created.kind) == \
        ("payers/60054", "60054", "Aetna", payer_pb2.PAYER_KIND_COMMERCIAL)
    assert created.update_staff_id == "biller-7"
    assert billing.payers.GetPayer(pb.GetPayerRequest(name="payers/60054")).payer == created
    _create(billing, "MCR01", "Medicare", payer_pb2.PAYER_KIND_MEDICARE)
    page = billing.payers.ListPayers(pb.ListPayersRequest(page_size=1))
    rest = billing.payers.ListPayers(pb.ListPayersRequest(page_token=page.next_page_token))
    assert [p.payer_id for p in [*page.payers, *rest.payers]] == ["60054", "MCR01"]


def test_a_create_retried_with_its_request_id_returns_the_first_result(billing):
    first = _create(billing, request_id="r-1")
    assert _create(billing, request_id="r-1") == first


def test_a_second_payer_with_the_same_id_is_already_exists(billing):
    _create(billing)
    with pytest.raises(grpc.RpcError) as refused:
        _create(billing, name="Other")
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert reason(refused.value) == "PAYER_ALREADY_EXISTS"


def test_update_changes_only_the_masked_fields(billing):
    _create(billing)
    updated = billing.payers.UpdatePayer(pb.UpdatePayerRequest(
        payer=payer_pb2.Payer(name="payers/60054", display_name="Ignored",
                              kind=payer_pb2.PAYER_KIND_MEDICAID),
        update_mask=FieldMask(paths=["kind"])), metadata=AS_BILLING).payer
    assert (updated.display_name, updated.kind) == ("Aetna", payer_pb2.PAYER_KIND_MEDICAID)


@pytest.mark.parametrize("request_, code, why", [
    (pb.CreatePayerRequest(payer_id="", payer=payer_pb2.Payer(display_name="A", kind=1)),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    (pb.CreatePayerRequest(payer_id="p1", payer=payer_pb2.Payer(display_name="A")),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    (pb.CreatePayerRequest(payer_id="p1", payer=payer_pb2.Payer(display_name=" ", kind=1)),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    (pb.CreatePayerRequest(payer_id="p1", payer=payer_pb2.Payer(display_name="A", kind=99)),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    (pb.UpdatePayerRequest(payer=payer_pb2.Payer(name="payers/60054")),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    (pb.UpdatePayerRequest(payer=payer_pb2.Payer(name="payers/60054"),
                           update_mask=FieldMask(paths=["payer_id"])),
     grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"),
    (pb.UpdatePayerRequest(payer=payer_pb2.Payer(name="payers/none", display_name="X"),
                           update_mask=FieldMask(paths=["display_name"])),
     grpc.StatusCode.NOT_FOUND, "PAYER_NOT_FOUND"),
    (pb.DeletePayerRequest(name="payers/none"), grpc.StatusCode.NOT_FOUND, "PAYER_NOT_FOUND"),
])
def test_refusals_change_nothing(billing, request_, code, why):
    _create(billing)
    before = row_counts(billing.runtime)
    method = {pb.CreatePayerRequest: billing.payers.CreatePayer,
              pb.UpdatePayerRequest: billing.payers.UpdatePayer,
              pb.DeletePayerRequest: billing.payers.DeletePayer}[type(request_)]
    with pytest.raises(grpc.RpcError) as refused:
        method(request_, metadata=AS_BILLING)
    assert (refused.value.code(), reason(refused.value)) == (code, why)
    assert row_counts(billing.runtime) == before


def test_a_deleted_payer_is_gone(billing):
    _create(billing)
    billing.payers.DeletePayer(pb.DeletePayerRequest(name="payers/60054"), metadata=AS_BILLING)
    with pytest.raises(grpc.RpcError) as refused:
        billing.payers.GetPayer(pb.GetPayerRequest(name="payers/60054"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.NURSE, Role.PROVIDER])
def test_only_billing_and_admins_change_payers(billing, role):
    with pytest.raises(grpc.RpcError) as refused:
        billing.payers.CreatePayer(pb.CreatePayerRequest(
            payer_id="p1", payer=payer_pb2.Payer(display_name="A", kind=1)),
            metadata=auth.metadata(role))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
