"""Billing's access rules over gRPC: who reads a patient's financial record, what the front
desk sees of a charge, and the audit trail under the account's patient."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from clinic.audit.v1 import audit_service_pb2 as audit_pb
from clinic.audit.v1 import audit_service_pb2_grpc as audit_grpc
from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.billing.support import completed

DAY = dt.date(2026, 3, 10)
DESK = auth.metadata(Role.FRONT_DESK, sub="desk-1", locations=("la-jolla",))
BILLER = auth.metadata(Role.BILLING, sub="biller-1", locations=())
NURSE = auth.metadata(Role.NURSE, sub="rn-1", locations=("la-jolla",))


@pytest.fixture
def visited(billing):
    billing.register("p1")
    billing.deliver(completed("a1", "p1", DAY, ("99213", 1)))
    return billing


def _trail(billing, **filters) -> list:
    stub = audit_grpc.AuditServiceStub(billing.channel)
    return list(stub.ListAuditEvents(audit_pb.ListAuditEventsRequest(**filters),
                                     metadata=auth.metadata(Role.ADMIN, sub="auditor")).events)


def test_a_nurse_is_refused_the_account_and_the_refusal_is_filed_under_the_patient(visited):
    with pytest.raises(grpc.RpcError) as refused:
        visited.accounts.GetAccount(account_pb.GetAccountRequest(name="accounts/p1"), metadata=NURSE)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    [event] = _trail(visited, actor="rn-1")
    assert (event.patient_id, event.record, event.outcome) == \
        ("p1", "accounts/p1", "PERMISSION_DENIED")


def test_the_front_desk_sees_charges_without_their_diagnoses(visited):
    [at_desk] = visited.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/p1"),
                                         metadata=DESK).charges
    [for_billing] = visited.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/p1"),
                                             metadata=BILLER).charges
    assert list(for_billing.diagnosis_codes) == ["F33.2"]
    assert list(at_desk.diagnosis_codes) == []
    assert at_desk.amount_cents == for_billing.amount_cents
    single = visited.charges.GetCharge(charge_pb.GetChargeRequest(name=at_desk.name), metadata=DESK)
    assert list(single.charge.diagnosis_codes) == []
