"""Hosts one service: gRPC server with health and reflection, background workers, shutdown.

Lifecycle: bind the port with health NOT_SERVING; run start-up work (migrations,
workers); flip to SERVING. On SIGTERM or SIGINT: NOT_SERVING, stop taking calls,
let calls in flight finish within the grace period, stop consumers, flush the
relay, exit 0.

Two health names: ``""`` and each served service say whether the service can do
its work (readiness: NOT_SERVING while a dependency check fails, see
``set_ready``); ``liveness`` says only that the process started and is not
shutting down, so an unreachable database takes the pod out of the endpoints
without getting it restarted.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Protocol

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from clinic_common import audit_api
from clinic_common.access import Rule, permission_table
from clinic_common.config import TlsSettings
from clinic_common.edge import Edge
from clinic_common.interceptors import Chain

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background component with a lifecycle (relay, consumer)."""

    def start(self) -> None: ...

    def stop(self) -> object: ...


LIVENESS = "liveness"


class ServiceHost:
    """One gRPC server with the shared edge: every method it serves has an access rule."""

    def __init__(self, name: str, *, host: str, port: int, edge: Edge, workers: int = 16,
                 grace_seconds: float = 10.0, max_message_bytes: int = 1024 * 1024,
                 tls: TlsSettings | None = None, reuse_port: bool = False):
        self.name = name
        self.grace_seconds = grace_seconds
        self.edge = edge
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{name}-rpc"),
            interceptors=[Chain(edge.links())],
            # Several processes of one service share the port only when asked to; otherwise
            # a second process on a taken port is an error, not a silent split of the calls.
            options=[("grpc.so_reuseport", int(reuse_port)),
                     ("grpc.max_receive_message_length", max_message_bytes)],
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.address = f"{host}:{port}"
        self.tls = tls if tls is not None and tls.enabled else None
        self.port = self._listen(self.address)
        self._service_names: list[str] = []
        self._workers: list[Worker] = []
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        # Readiness has its own lock: stop() holds _stop_lock while it stops the workers,
        # one of which may be reporting readiness. The health servicer ignores set()
        # once shutdown began, so a late report cannot undo NOT_SERVING.
        self._ready_lock = threading.Lock()
        self._started = False
        self._ready = True
        self.add_service(audit_api.register, audit_api.AuditServicer(edge.audit_log),
                         audit_api.SERVICE, audit_api.RULES)

    def _listen(self, address: str) -> int:
        if self.tls is None:
            port = self.server.add_insecure_port(address)
        else:
            client_ca = self.tls.client_ca_file.read_bytes() if self.tls.client_ca_file else None
            credentials = grpc.ssl_server_credentials(
                [(self.tls.key_file.read_bytes(), self.tls.cert_file.read_bytes())],
                root_certificates=client_ca, require_client_auth=client_ca is not None)
            port = self.server.add_secure_port(address, credentials)
        if not port:
            raise RuntimeError(f"cannot listen on {address}")
        return port

    def add_service(self, register: Callable[[object, grpc.Server], None], servicer: object,
                    service: ServiceDescriptor | str, rules: dict[str, Rule]) -> None:
        """Serve ``servicer`` under the access rules of each of its methods (all required).

        ``service`` is the proto service's descriptor, or for a service registered
        by hand (generic handlers) its full name, whose methods are those ``rules`` name.
        """
        if isinstance(service, str):
            full_name = service
            self.edge.rules.update({f"/{full_name}/{m}": r for m, r in rules.items()})
        else:
            full_name = service.full_name
            self.edge.rules.update(permission_table(service, rules))
        register(servicer, self.server)
        self._service_names.append(full_name)

    def add_worker(self, worker: Worker) -> None:
        """Workers start after start-up work and stop after the server, in reverse order."""
        self._workers.append(worker)

    def _set_all(self, status) -> None:
        for name in ["", *self._service_names]:
            self.health.set(name, status)

    def set_ready(self, ready: bool) -> None:
        """Readiness (``""`` and the services) follows a dependency check once started;
        liveness does not. Before start-up is done and from shutdown on, nothing changes."""
        with self._ready_lock:
            changed, self._ready = ready != self._ready, ready
            if not self._started:
                return
            self._set_all(health_pb2.HealthCheckResponse.SERVING if ready
                          else health_pb2.HealthCheckResponse.NOT_SERVING)
        if changed:
            (log.info if ready else log.warning)(
                "readiness changed", extra={"service": self.name,
                                            "state": "ready" if ready else "not ready"})

    def serving(self) -> bool:
        """What readiness (``""``) says now: start-up done, the dependency check passing,
        no shutdown begun."""
        with self._ready_lock:
            return self._started and self._ready and not self._stopped.is_set()

    def start(self, startup: Callable[[], None] = lambda: None) -> None:
        reflection.enable_server_reflection(
            [*self._service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME], self.server)
        self._set_all(health_pb2.HealthCheckResponse.NOT_SERVING)
        self.health.set(LIVENESS, health_pb2.HealthCheckResponse.NOT_SERVING)
        self.server.start()
        log.info("listening", extra={"service": self.name, "port": self.port,
                                     "tls": self.tls is not None, "state": "starting"})
        startup()
        for worker in self._workers:
            worker.start()
        with self._ready_lock:
            self._started = True
            self.health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
            self._set_all(health_pb2.HealthCheckResponse.SERVING if self._ready
                          else health_pb2.HealthCheckResponse.NOT_SERVING)
        log.info("serving", extra={"service": self.name, "port": self.port,
                                   "ready": self._ready})

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
