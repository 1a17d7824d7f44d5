"""Hosts one service: gRPC server with health and reflection, background workers, shutdown.

Lifecycle: bind the port with health NOT_SERVING; run start-up work (migrations,
workers); flip to SERVING. On SIGTERM or SIGINT: NOT_SERVING, stop taking calls,
let calls in flight finish within the grace period, stop consumers, flush the
relay, exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from clinic_common.interceptors import CallInterceptor, Chain, default_chain

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background component with a lifecycle (relay, consumer)."""

    def start(self) -> None: ...

    def stop(self) -> object: ...


class ServiceHost:
    def __init__(self, name: str, *, host: str, port: int, workers: int = 16,
                 grace_seconds: float = 10.0, interceptors: list[CallInterceptor] | None = None):
        self.name = name
        self.grace_seconds = grace_seconds
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{name}-rpc"),
            interceptors=[Chain(interceptors if interceptors is not None else default_chain())],
            options=[("grpc.so_reuseport", 0)],
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.address = f"{host}:{port}"
        self.port = self.server.add_insecure_port(self.address)
        if not self.port:
            raise RuntimeError(f"cannot listen on {self.address}")
        self._service_names: list[str] = []
        self._workers: list[Worker] = []
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()

    def add_service(self, register: Callable[[object, grpc.Server], None], servicer: object,
                    full_name: str) -> None:
        register(servicer, self.server)
        self._service_names.append(full_name)

    def add_worker(self, worker: Worker) -> None:
        """Workers start after start-up work and stop after the server, in reverse order."""
        self._workers.append(worker)

    def _set_all(self, status) -> None:
        for name in ["", *self._service_names]:
            self.health.set(name, status)

    def start(self, startup: Callable[[], None] = lambda: None) -> None:
        reflection.enable_server_reflection(
            [*self._service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME], self.server)
        self._set_all(health_pb2.HealthCheckResponse.NOT_SERVING)
        self.server.start()
        log.info("listening", extra={"service": self.name, "port": self.port, "state": "starting"})
        startup()
        for worker in self._workers:
            worker.start()
        self._set_all(health_pb2.HealthCheckResponse.SERVING)
        log.info("serving", extra={"service": self.name, "port": self.port})

    def stop(self) -> None:
        with self._stop_lock:
            if self._stopped.is_set():
                return
            log.info("shutting down", extra={"service": self.name})
            self.health.enter_graceful_shutdown()
            self.server.stop(self.grace_seconds).wait()
            for worker in reversed(self._workers):
                try:
                    worker.stop()
                except Exception:
                    log.exception("worker failed to stop cleanly")
            self._stopped.set()
            log.info("stopped", extra={"service": self.name})

    def wait(self) -> None:
        self._stopped.wait()

    def run_until_signalled(self) -> None:
        """Block until SIGTERM/SIGINT, then shut down gracefully."""
        def _on_signal(signum, _frame):
            log.info("signal received", extra={"signal": signal.Signals(signum).name})
            # Shutdown is under way and bounded by the grace period. A further
            # signal must not land while the interpreter exits, when Python's
            # handler is gone and the default action would end us with -15.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            threading.Thread(target=self.stop, name="shutdown").start()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        while not self._stopped.wait(0.5):
            pass
