"""Services run as real processes for end-to-end tests, as they run in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import free_port


class ServiceProcess:
    """``python -m clinic_<service> serve`` with its own environment and log file.

    With ``test_key`` (the default) the service trusts the tests' signing key.
    """

    def __init__(self, service: str, env: dict[str, str], log_dir: Path, port: int | None = None,
                 *, test_key: bool = True, clock_offset_file: Path | None = None):
        self.service = service
        self.port = port or free_port()
        self.env = {**os.environ, **(auth.env() if test_key else {}), **env,
                    f"{service.upper()}_PORT": str(self.port),
                    f"{service.upper()}_HOST": "127.0.0.1"}
        # With a clock offset file, the service's clock is the wall clock plus its
        # seconds (clinic_devtools.testing.clocked): a test may move it forward.
        self.module = ["clinic_devtools.testing.clocked", service] if clock_offset_file \
            else [f"clinic_{service}"]
        if clock_offset_file:
            self.env["CLINIC_TEST_CLOCK_OFFSET_FILE"] = str(clock_offset_file)
        self.log_path = log_dir / f"{service}.log"
        self.process: subprocess.Popen | None = None
        self._stop_sent = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def launch(self) -> ServiceProcess:
        """Start the process in its own session, so a terminal's Ctrl-C reaches only us."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self._stop_sent = False
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.module, "serve"], env=self.env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        return self

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        self.launch()
        self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        with grpc.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < end:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.service} exited with {self.process.returncode}; "
                                       f"see {self.log_path}:\n{self.log_tail()}")
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise TimeoutError(f"{self.service} not SERVING after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def request_stop(self) -> None:
        """Send SIGTERM once. A second one could land while the interpreter is
        exiting, after its handlers are gone, and kill it with -15."""
        if self.process is not None and self.process.poll() is None and not self._stop_sent:
            self.process.send_signal(signal.SIGTERM)
            self._stop_sent = True

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM (once) and wait; returns the exit code."""
        if self.process is None:
            return 0
        self.request_stop()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL: no shutdown work at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def channel(self, *roles) -> grpc.Channel:
        """A channel whose calls carry a token for ``roles`` (every staff role by default)
        unless they bring their own."""
        return auth.authorized(grpc.insecure_channel(self.address), *roles)
