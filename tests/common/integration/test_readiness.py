"""Health follows the database: NOT_SERVING while it is unreachable, SERVING once it is
back; liveness stays SERVING throughout (a pod is taken out of the endpoints, not
restarted)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import grpc
import pytest
from clinic_common.readiness import ReadinessCheck
from clinic_devtools.testing.processes import ServiceProcess
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class TcpProxy:
    """Forwards a local port to the database; ``close`` cuts every connection and
    refuses new ones, ``open`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self._listener is not None:
            # shutdown, not just close: a thread blocked in accept() keeps a closed
            # listener alive on Linux; shutdown wakes it.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()


def _status(stub, service: str) -> int:
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2).status


def _wait_for(stub, service: str, wanted: int, timeout: float = 20.0) -> None:
    end, last = time.monotonic() + timeout, None
    while time.monotonic() < end:
        last = _status(stub, service)
        if last == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"health {service!r} is {last}, not {wanted} after {timeout}s")


@pytest.mark.postgres
def test_health_is_not_serving_while_the_database_is_unreachable_and_liveness_stays_up(
        tmp_path, postgres_url):
    real = make_url(postgres_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.open()
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    service = ServiceProcess("intake", {
        "INTAKE_DATABASE_URL": via_proxy, "INTAKE_HEALTH_CHECK_SECONDS": "0.3",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "INTAKE_CONSUME_EVENTS": "false",
        "INTAKE_SHUTDOWN_GRACE_SECONDS": "1"}, tmp_path)
    try:
        service.start(90)
        with grpc.insecure_channel(service.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            assert _status(stub, "") == SERVING
            assert _status(stub, "liveness") == SERVING
            proxy.close()
            _wait_for(stub, "", NOT_SERVING)
            assert _status(stub, "clinic.intake.v1.ConsentService") == NOT_SERVING
            assert _status(stub, "liveness") == SERVING
            proxy.open()
            _wait_for(stub, "", SERVING)
            assert _status(stub, "liveness") == SERVING
    finally:
        service.terminate()
        proxy.close()


def test_a_hung_check_counts_as_failed_and_is_not_piled_up():
    release, calls, reports = threading.Event(), [], []

    def probe():
        calls.append(1)
        release.wait(5)

    check = ReadinessCheck(probe, reports.append, interval=60, timeout=0.1)
    assert check.check() is False and check.check() is False
    assert len(calls) == 1  # the second check waited for the first probe, started none
    release.set()
    time.sleep(0.05)
    assert check.check() is True
    assert reports == [False, False, True]
    check.stop()


def test_a_serving_service_reports_its_relay_in_the_status_file(tmp_path):
    data = tmp_path / "data"
    service = ServiceProcess("intake", {
        "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
        "INTAKE_DATA_DIR": str(data), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "INTAKE_CONSUME_EVENTS": "false", "INTAKE_SHUTDOWN_GRACE_SECONDS": "1"}, tmp_path)
    try:
        service.start(60)
        path = data / "intake-status.json"
        deadline = time.monotonic() + 15
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        status = json.loads(path.read_text())
        assert status["service"] == "intake" and status["consumers"] == []
        assert status["relay"]["running"] is True
        assert status["relay"]["backlog"] == 0
    finally:
        service.terminate()
