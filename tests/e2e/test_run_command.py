"""The README's run command: everything up, discoverable by reflection, stopped by Ctrl-C."""

import os
import re
import signal
import subprocess
import sys
import time

import grpc
import pytest
from clinic_devtools.testing.infra import free_port
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

EXPECTED = {
    "intake": "clinic.intake.v1.IntakeService",
    "scheduling": "clinic.scheduling.v1.AppointmentService",
    "billing": "clinic.billing.v1.ChargeService",
}


def list_services(address: str) -> set[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        reply = next(stub.ServerReflectionInfo(iter([
            reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5))
        return {s.name for s in reply.list_services_response.service}


def health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5).status


def test_run_brings_up_three_services_with_demo_data_and_ctrl_c_stops_them(tmp_path):
    ports = {name: free_port() for name in EXPECTED}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTAKE_",
                                                                   "SCHEDULING_", "BILLING_"))}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    run = subprocess.Popen(
        [sys.executable, "-m", "clinic_devtools.devstack", "run", "--data-dir", str(tmp_path),
         "--broker-port", str(free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(output)
        assert "Ctrl-C stops everything" in text, text
        assert "locations" in text and "demo patients registered" in text, text
        for name, port in ports.items():
            address = f"127.0.0.1:{port}"
            assert EXPECTED[name] in list_services(address)
            assert health(address) == health_pb2.HealthCheckResponse.SERVING
        assert "clinic token issue" in text, text  # how to get a token
        _the_printed_command_gives_a_token_that_lists_the_demo_patients(
            tmp_path, f"127.0.0.1:{ports['intake']}")
    finally:
        os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
        try:
            rest, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            rest, _ = run.communicate()
    assert run.returncode == 0, "".join(output) + rest
    assert rest.count("stopped (exit 0)") == 3, rest
    assert "broker     stopped" in rest, rest  # after the services, so they could flush
    for port in ports.values():
        with pytest.raises(grpc.RpcError):
            health(f"127.0.0.1:{port}")
    assert {p.name for p in tmp_path.glob("*.db")} == {"intake.db", "scheduling.db", "billing.db"}
    private = [*tmp_path.glob("*.db*"), *(tmp_path / "logs").iterdir(),
               *(tmp_path / "auth").iterdir()]
    assert [p.name for p in private if p.stat().st_mode & 0o077] == []


def _the_printed_command_gives_a_token_that_lists_the_demo_patients(data_dir, address):
    from clinic.intake.v1 import intake_service_pb2, intake_service_pb2_grpc

    issued = subprocess.run(
        [sys.executable, "-m", "clinic_devtools.token_cli", "--data-dir", str(data_dir), "issue",
         "--sub", "desk-1", "--role", "FRONT_DESK", "--location", "la-jolla"],
        capture_output=True, text=True, timeout=30)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    with grpc.insecure_channel(address) as channel:
        stub = intake_service_pb2_grpc.IntakeServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListPatients(intake_service_pb2.ListPatientsRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        listed = stub.ListPatients(intake_service_pb2.ListPatientsRequest(), timeout=5,
                                   metadata=[("authorization", f"Bearer {token}")])
    assert len(listed.patients) == 6


def test_a_service_that_dies_is_started_again_on_its_data(tmp_path):
    ports = {name: free_port() for name in EXPECTED}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTAKE_",
                                                                   "SCHEDULING_", "BILLING_"))}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    run = subprocess.Popen(
        [sys.executable, "-m", "clinic_devtools.devstack", "run", "--data-dir", str(tmp_path),
         "--broker-port", str(free_port()), "--no-demo"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    output = []
    try:
        pids = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "Ctrl-C stops everything" not in "".join(output):
            line = run.stdout.readline()
            output.append(line)
            match = re.match(r"^(\w+)\s+grpc://\S+\s+SERVING\s+pid (\d+)", line)
            if match:
                pids[match.group(1)] = int(match.group(2))
        assert set(pids) == set(EXPECTED), "".join(output)
        os.kill(pids["billing"], signal.SIGKILL)
        address = f"127.0.0.1:{ports['billing']}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if health(address) == health_pb2.HealthCheckResponse.SERVING:
                    break
            except grpc.RpcError:
                pass
            time.sleep(0.3)
        assert health(address) == health_pb2.HealthCheckResponse.SERVING
        assert health(f"127.0.0.1:{ports['intake']}") == health_pb2.HealthCheckResponse.SERVING
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            rest, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            rest, _ = run.communicate()
    assert "billing    exited with -9; starting it again" in rest + "".join(output)
    assert run.returncode == 0, rest
