"""A service as a process: configuration errors, the migrate command, signals."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clinic_devtools.testing.processes import ServiceProcess

SERVICES = ["intake", "scheduling", "billing"]


def run(service, *args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", f"clinic_{service}", *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("service", SERVICES)
def test_a_bad_setting_stops_the_service_at_start_naming_the_variable(service):
    prefix = service.upper()
    result = run(service, "serve", env={f"{prefix}_PORT": "eighty"})
    assert result.returncode == 2
    assert f"{prefix}_PORT" in result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_migrate_creates_the_database_and_exits(service, tmp_path):
    result = run(service, "migrate", env={f"{service.upper()}_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / f"{service}.db") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert {"outbox", "inbox", "request_log", "alembic_version"} <= tables
    created = [p for p in tmp_path.iterdir() if p.name.startswith(service)]
    assert created and all(p.stat().st_mode & 0o077 == 0 for p in created), \
        "files holding patient data are for the owner only"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_shuts_the_service_down_cleanly(signum, tmp_path):
    service = ServiceProcess("intake", {"INTAKE_DATA_DIR": str(tmp_path),
                                        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                                        "INTAKE_LOG_JSON": "true"}, tmp_path).start(60)
    service.process.send_signal(signum)
    assert service.process.wait(30) == 0
    log = service.log_path.read_text()
    assert '"msg": "shutting down"' in log and '"msg": "stopped"' in log


def test_signals_repeated_during_shutdown_still_end_in_a_clean_exit(tmp_path):
    service = ServiceProcess("intake", {"INTAKE_DATA_DIR": str(tmp_path),
                                        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, tmp_path).start(60)
    deadline = time.monotonic() + 30
    while service.process.poll() is None and time.monotonic() < deadline:
        service.process.send_signal(signal.SIGTERM)  # as an impatient supervisor might
        time.sleep(0.005)
    assert service.process.wait(5) == 0


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_a_service_serves_from_several_processes_on_one_port(tmp_path):
    from clinic.intake.v1 import intake_service_pb2, intake_service_pb2_grpc

    service = ServiceProcess("intake", {"INTAKE_DATA_DIR": str(tmp_path),
                                        "INTAKE_PROCESSES": "3",
                                        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, tmp_path).start(60)
    try:
        deadline = time.monotonic() + 30
        while len(_children(service.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        siblings = _children(service.process.pid)
        assert len(siblings) == 2
        with service.channel() as channel:
            stub = intake_service_pb2_grpc.IntakeServiceStub(channel)
            for _ in range(20):
                stub.ListPatients(intake_service_pb2.ListPatientsRequest(), timeout=10)
    finally:
        assert service.terminate() == 0
    for pid in siblings:
        assert not Path(f"/proc/{pid}").exists() or \
            "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_metrics_count_the_calls_of_every_process(tmp_path):
    """With several processes on one port every call is counted once, whichever process
    served it (prometheus-client's multiprocess mode), and only the first serves /metrics."""
    import urllib.request

    from clinic.intake.v1 import intake_service_pb2, intake_service_pb2_grpc
    from clinic_devtools.testing.infra import free_port
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "counter_1.db").write_bytes(b"stale")  # an earlier run's
    service = ServiceProcess("intake", {"INTAKE_DATA_DIR": str(tmp_path),
                                        "INTAKE_PROCESSES": "3",
                                        "INTAKE_METRICS_PORT": str(port),
                                        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
                             tmp_path).start(60)
    calls = 0
    folder = tmp_path / "prometheus"

    def counted_by() -> set[str]:
        return {p.name.split("_")[-1] for p in folder.glob("counter_*.db")}

    try:
        # New connections until the kernel handed some to another process (the extra
        # processes start after the first serves; on a busy machine that takes seconds,
        # and a connection given to one that bound the port but is not serving yet waits
        # for it), then a few more.
        deadline = time.monotonic() + 90
        while (len(counted_by() - {"1.db"}) < 2 or calls < 30) and time.monotonic() < deadline:
            with service.channel() as channel:
                intake_service_pb2_grpc.IntakeServiceStub(channel).ListPatients(
                    intake_service_pb2.ListPatientsRequest(), timeout=60)
            calls += 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        served = [s for f in text_string_to_metric_families(text) for s in f.samples
                  if s.name == "clinic_rpc_requests_total"
                  and s.labels.get("grpc_method") == "ListPatients"]
        processes = counted_by()
    finally:
        assert service.terminate() == 0
    assert sum(s.value for s in served) == calls
    assert len(processes) >= 2, "the calls were served by more than one process"
    assert "1.db" not in processes  # the stale file was cleared
    assert "clinic_outbox_backlog" in text  # the first process's scrape-time figures
