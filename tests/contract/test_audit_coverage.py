"""Every method that reads or changes a patient's data leaves an audit row, allowed or refused,
in every service; only an admin reads the trail."""

from __future__ import annotations

import grpc
import pytest
from clinic.audit.v1 import audit_service_pb2 as audit_pb
from clinic.audit.v1 import audit_service_pb2_grpc as audit_grpc
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from google.protobuf import descriptor_pool, message_factory

STAFF_ROLES = [r for r in Role if r != Role.SERVICE]


@pytest.fixture(params=["intake", "scheduling", "billing"])
def service(request, tmp_path):
    with running(request.param, f"sqlite:///{tmp_path / 'audit.db'}") as started, \
            started.channel() as channel:
        yield started, channel


def _phi_methods(started) -> list[tuple[str, object]]:
    return sorted((path, rule) for path, rule in started.host.edge.rules.items()
                  if rule.phi and not path.endswith("/ListAuditEvents"))


def _call(channel, path: str, rule_roles, token: str):
    service_name, method_name = path.strip("/").split("/")
    method = descriptor_pool.Default().FindServiceByName(service_name) \
        .methods_by_name[method_name]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    stub = channel.unary_unary(path, request_serializer=request_class.SerializeToString,
                               response_deserializer=response_class.FromString)
    try:
        stub(request_class(), metadata=[("authorization", f"Bearer {token}")], timeout=10)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def _trail(channel, **filters) -> list:
    stub = audit_grpc.AuditServiceStub(channel)
    events, token = [], ""
    while True:
        page = stub.ListAuditEvents(audit_pb.ListAuditEventsRequest(page_token=token, **filters),
                                    metadata=auth.metadata(Role.ADMIN, sub="auditor"))
        events += page.events
        token = page.next_page_token
        if not token:
            return events


def test_every_patient_method_is_audited_when_refused(service):
    started, channel = service
    walked = 0
    for path, rule in _phi_methods(started):
        outsiders = [r for r in STAFF_ROLES if r not in rule.roles]
        assert outsiders, f"{path}: every staff role may call it; minimum necessary?"
        who = f"outsider-{walked}"
        token = auth.token(outsiders[0], sub=who, locations=("la-jolla",))
        code = _call(channel, path, rule.roles, token)
        assert code.name == "PERMISSION_DENIED", path
        rows = _trail(channel, actor=who)
        assert [(r.method, r.outcome, r.reason) for r in rows] == \
            [(path, "PERMISSION_DENIED", "ROLE_NOT_ALLOWED")], path
        assert rows[0].correlation_id and rows[0].client_address and rows[0].token_id
        walked += 1
    assert walked == len(_phi_methods(started)) > 0


def test_every_patient_method_is_audited_when_allowed(service):
    """An allowed caller with an empty request: whatever the outcome, it is on the record."""
    started, channel = service
    for index, (path, rule) in enumerate(_phi_methods(started)):
        who = f"insider-{index}"
        token = auth.token(*rule.roles, sub=who)
        code = _call(channel, path, rule.roles, token)
        rows = _trail(channel, actor=who)
        assert [(r.method, r.outcome) for r in rows] == [(path, code.name)], path
        assert rows[0].actor_roles == ",".join(sorted(rule.roles))


def test_only_an_admin_reads_the_trail_and_a_refusal_is_itself_audited(service):
    _, channel = service
    stub = audit_grpc.AuditServiceStub(channel)
    for role in STAFF_ROLES:
        if role == Role.ADMIN:
            continue
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListAuditEvents(audit_pb.ListAuditEventsRequest(),
                                 metadata=auth.metadata(role, sub=f"curious-{role.lower()}"))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    refusals = [r for r in _trail(channel) if r.actor.startswith("curious-")]
    assert len(refusals) == len(STAFF_ROLES) - 1
    assert {r.method for r in refusals} == {"/clinic.audit.v1.AuditService/ListAuditEvents"}
