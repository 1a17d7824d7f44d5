"""The interceptor chain over a real socket: error mapping, correlation, deadlines."""

import threading
import time

import grpc
import pytest
from clinic_common import context, identity
from clinic_common.access import rule
from clinic_common.errors import FailedPrecondition, FieldViolation
from clinic_common.identity import Role
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

SERVICE = "test.v1.ProbeService"
seen: dict = {}
slow_started = threading.Event()


def _refuse(request, ctx):
    raise FailedPrecondition("weight is stale", reason="STALE_WEIGHT", patient_id="p1")


def _bad_field(request, ctx):
    raise FieldViolation("patient.phone", "must be E.164")


def _crash(request, ctx):
    raise RuntimeError("secret detail that must not reach the caller")


def _echo_context(request, ctx):
    seen["correlation"] = context.correlation_id.get()
    seen["remaining"] = context.time_remaining()
    seen["actor"] = identity.actor_id()
    return b"ok"


def _slow(request, ctx):
    slow_started.set()
    time.sleep(1.5)
    return b"done"


METHODS = {"Refuse": _refuse, "BadField": _bad_field, "Crash": _crash, "Echo": _echo_context,
           "Slow": _slow}
RULES = {name: rule(*auth.ALL_STAFF, phi=False) for name in METHODS}
RULES["Echo"] = rule(*auth.ALL_STAFF, Role.SERVICE, phi=False)


class _Registrar:
    def __call__(self, servicer, server):
        handlers = {name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in METHODS.items()}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def _host(tmp_path, name="probe", **options) -> ServiceHost:
    return ServiceHost(name, host="127.0.0.1", port=0,
                       edge=auth.probe_edge(f"sqlite:///{tmp_path / (name + '.db')}"), **options)


@pytest.fixture
def host(tmp_path):
    server = _host(tmp_path, grace_seconds=3)
    server.add_service(_Registrar(), None, SERVICE, RULES)
    server.start()
    channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{server.port}"))
    yield server, channel
    channel.close()
    server.stop()


def call(channel, method, **kwargs):
    return channel.unary_unary(f"/{SERVICE}/{method}")(b"", **kwargs)


def error_info(error) -> error_details_pb2.ErrorInfo:
    info = error_details_pb2.ErrorInfo()
    status = rpc_status.from_call(error)
    assert status.details[0].Unpack(info)
    return info


def test_a_domain_refusal_carries_its_code_reason_and_metadata(host):
    _, channel = host
    with pytest.raises(grpc.RpcError) as raised:
        call(channel, "Refuse")
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert raised.value.details() == "weight is stale"
    info = error_info(raised.value)
    assert info.reason == "STALE_WEIGHT"
    assert info.domain == "probe.clinic.api"
    assert dict(info.metadata) == {"patient_id": "p1",
                                   "correlation_id": info.metadata["correlation_id"]}


def test_a_field_violation_is_invalid_argument_with_bad_request_details(host):
    _, channel = host
    with pytest.raises(grpc.RpcError) as raised:
        call(channel, "BadField")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert rpc_status.from_call(raised.value).details[1].Unpack(bad_request)
    assert bad_request.field_violations[0].field == "patient.phone"


def test_an_unexpected_exception_is_internal_with_a_correlation_id_and_no_detail(host):
    _, channel = host
    with pytest.raises(grpc.RpcError) as raised:
        call(channel, "Crash", metadata=[("x-correlation-id", "corr-42")])
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "corr-42" in raised.value.details()
    assert "secret" not in raised.value.details()
    assert error_info(raised.value).metadata["correlation_id"] == "corr-42"


def test_the_correlation_id_and_deadline_reach_the_handler_and_come_back(host):
    _, channel = host
    _, call_info = channel.unary_unary(f"/{SERVICE}/Echo").with_call(
        b"", metadata=[("x-correlation-id", "corr-7")], timeout=5)
    assert seen["correlation"] == "corr-7"
    assert 0 < seen["remaining"] < 6  # the caller's 5 s, give or take gRPC's rounding
    assert ("x-correlation-id", "corr-7") in tuple(call_info.trailing_metadata())


def test_health_and_reflection_list_the_service(host):
    _, channel = host
    health = health_pb2_grpc.HealthStub(channel)
    assert health.Check(health_pb2.HealthCheckRequest(service=SERVICE)).status == \
        health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    reply = next(stub.ServerReflectionInfo(iter([
        reflection_pb2.ServerReflectionRequest(list_services="")])))
    names = {s.name for s in reply.list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health"} <= names


def test_shutdown_reports_not_serving_and_finishes_calls_in_flight(host):
    server, channel = host
    results = []
    slow_started.clear()
    worker = threading.Thread(target=lambda: results.append(call(channel, "Slow")))
    worker.start()
    assert slow_started.wait(5), "the slow call never reached the server"
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    health = health_pb2_grpc.HealthStub(channel)
    statuses = []
    while worker.is_alive() and not statuses:  # until the stop shows, while the call runs
        try:
            status = health.Check(health_pb2.HealthCheckRequest(service=SERVICE),
                                  timeout=1).status
            if status != health_pb2.HealthCheckResponse.SERVING:
                statuses.append(status)
        except grpc.RpcError as error:  # a stopping server refuses new calls: UNAVAILABLE,
            statuses.append(error.code())  # or CANCELLED once stop() has begun
        time.sleep(0.02)
    worker.join(5)
    stopper.join(5)
    assert statuses and statuses[0] in (health_pb2.HealthCheckResponse.NOT_SERVING,
                                        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
    assert results == [b"done"]


def test_a_call_made_inside_a_call_inherits_its_deadline_and_correlation(host, tmp_path):
    from clinic_common.client import ServiceTokens, connect

    server, channel = host
    inner = {}

    def outer(request, ctx):
        with connect(f"127.0.0.1:{server.port}",
                     token=ServiceTokens(auth.issuer(), "outer")) as onward:
            onward.unary_unary(f"/{SERVICE}/Echo")(b"", timeout=60)
        inner.update(seen)
        return b"ok"

    second = _host(tmp_path, "outer")

    class Outer:
        def __call__(self, servicer, srv):
            srv.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
                "test.v1.OuterService", {"Call": grpc.unary_unary_rpc_method_handler(outer)}),))

    second.add_service(Outer(), None, "test.v1.OuterService", {"Call": rule(Role.ADMIN, phi=False)})
    second.start()
    try:
        with auth.authorized(grpc.insecure_channel(f"127.0.0.1:{second.port}")) as to_outer:
            to_outer.unary_unary("/test.v1.OuterService/Call")(
                b"", timeout=3, metadata=[("x-correlation-id", "chain-1")])
    finally:
        second.stop()
    assert inner["correlation"] == "chain-1"
    assert inner["actor"] == "service:outer"  # the onward call runs as the service itself
    assert 0 < inner["remaining"] < 4  # the caller's 3 s (give or take clock rounding), not 60 s


def test_health_is_not_serving_until_start_up_work_is_done(tmp_path):
    server = _host(tmp_path)
    server.add_service(_Registrar(), None, SERVICE, RULES)
    release, seen_status = threading.Event(), []

    def startup():
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            seen_status.append(health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=2).status)
        release.wait(5)

    starter = threading.Thread(target=server.start, kwargs={"startup": startup})
    starter.start()
    deadline = time.monotonic() + 5
    while not seen_status and time.monotonic() < deadline:  # start-up work has looked
        time.sleep(0.02)
    release.set()
    starter.join(5)
    try:
        assert seen_status == [health_pb2.HealthCheckResponse.NOT_SERVING]
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            assert health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE)).status == \
                health_pb2.HealthCheckResponse.SERVING
    finally:
        server.stop()


def test_one_log_line_per_call_names_method_outcome_and_who_never_the_payload(host, caplog):
    _, channel = host
    caplog.set_level("INFO", logger="clinic.grpc")
    token = auth.metadata(Role.NURSE, sub="rn-ortiz")
    channel.unary_unary(f"/{SERVICE}/Echo")(b"Ana Reyes 1984-05-17", metadata=token)
    with pytest.raises(grpc.RpcError):
        call(channel, "Refuse", metadata=token)
    lines = [r for r in caplog.records if r.getMessage() == "rpc"]
    assert [(r.method.rsplit("/", 1)[1], r.code, r.actor) for r in lines] == \
        [("Echo", "OK", "rn-ortiz"), ("Refuse", "FAILED_PRECONDITION", "rn-ortiz")]
    assert "Ana" not in caplog.text
