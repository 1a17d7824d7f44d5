"""The process entry point shared by every service: ``python -m clinic_<name> serve``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from clinic_common import logs, metrics, tracing
from clinic_common.clock import Clock, system_clock
from clinic_common.config import (
    AuthSettings,
    ConfigurationError,
    KafkaSettings,
    ServiceSettings,
    TlsSettings,
    load,
)
from clinic_common.edge import verifier_from
from clinic_common.metrics import MetricsEndpoint
from clinic_common.readiness import ReadinessCheck, database_probe
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost
from clinic_common.status import StatusFile

log = logging.getLogger(__name__)

AddServices = Callable[[ServiceHost, Runtime], None]


# Set in the extra server processes of a service: they serve calls only.
CALLS_ONLY = "CLINIC_SERVE_CALLS_ONLY"


def serve(spec: ServiceSpec, settings: ServiceSettings, kafka: KafkaSettings, auth: AuthSettings,
          tls: TlsSettings, add_services: AddServices, clock: Clock = system_clock) -> int:
    verifier = verifier_from(auth, settings.data_dir)
    calls_only = os.environ.get(CALLS_ONLY) == "1"
    runtime = Runtime(spec, settings, kafka, clock=clock)
    host = ServiceHost(spec.name, host=settings.host, port=settings.listen_port,
                       edge=runtime.edge(verifier), workers=settings.grpc_workers,
                       grace_seconds=settings.shutdown_grace_seconds,
                       max_message_bytes=settings.max_message_bytes, tls=tls,
                       reuse_port=settings.processes > 1 or calls_only)
    add_services(host, runtime)
    host.add_worker(ReadinessCheck(database_probe(runtime.engine), host.set_ready,
                                   interval=settings.health_check_seconds))
    extra = Siblings(spec.name, settings.processes - 1)
    if not calls_only:
        host.add_worker(runtime.relay)
        consumer = runtime.consumer()
        if consumer is not None:
            host.add_worker(consumer)
        host.add_worker(extra)  # started after the migrations, stopped before the relay
        def consumers():
            return [consumer] if consumer is not None else []
        host.add_worker(StatusFile(spec.name, settings.data_dir, runtime.relay, consumers))
        if settings.metrics_port:
            host.add_worker(MetricsEndpoint(spec.name, settings.host, settings.metrics_port,
                                            runtime.relay, consumers, runtime.engine,
                                            serving=host.serving))
    migrate = runtime.migrate if settings.migrate_on_start and not calls_only else (lambda: None)
    host.start(startup=migrate)
    host.run_until_signalled()
    runtime.close()
    return 0


class Siblings:
    """The service's extra server processes, started once the first one is up (migrations
    done), stopped with it, and started again when one dies."""

    def __init__(self, service: str, count: int):
        self.service = service
        self.count = count
        self.processes: list[subprocess.Popen] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", f"clinic_{self.service}", "serve"],
                                env={**os.environ, CALLS_ONLY: "1"})

    def start(self) -> None:
        if self.count < 1:
            return
        self.processes = [self._spawn() for _ in range(self.count)]
        self._watcher = threading.Thread(target=self._watch, name="siblings", daemon=True)
        self._watcher.start()
        log.info("serving in several processes", extra={"processes": self.count + 1})

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for i, process in enumerate(self.processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log.error("a server process exited; starting another",
                              extra={"exit_code": process.returncode})
                    self.processes[i] = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def main(spec_factory: Callable[[], ServiceSpec], settings_class: type[ServiceSettings],
         add_services: AddServices, argv: list[str] | None = None,
         clock: Clock = system_clock) -> int:
    """``serve`` runs the service; ``migrate`` upgrades its database and exits. ``clock``
    is the wall clock, except in end-to-end tests (clinic_devtools.testing.clocked)."""
    parser = argparse.ArgumentParser(prog=f"clinic-{settings_class.service_name}")
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args(argv)
    # Database files (SQLite and its journal) hold patient data: owner only.
    os.umask(0o077)
    try:
        settings = load(settings_class)
        kafka = load(KafkaSettings)
        auth, tls = load(AuthSettings), load(TlsSettings)
    except ConfigurationError as exc:
        print(f"{settings_class.service_name}: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings_class.service_name, settings.log_level, settings.log_json)
    tracing.configure(settings_class.service_name)
    if (args.command == "serve" and settings.metrics_port and os.environ.get(CALLS_ONLY) != "1"
            and (settings.processes > 1 or metrics.multiprocess_dir() is not None)):
        metrics.prepare_processes(settings.data_dir)  # the extra processes inherit it
    spec = spec_factory()
    if args.command == "migrate":
        Runtime(spec, settings, kafka).migrate()
        log.info("migrated", extra={"database": _redact(settings.resolved_database_url)})
        return 0
    try:
        return serve(spec, settings, kafka, auth, tls, add_services, clock)
    except ConfigurationError as exc:
        print(f"{settings_class.service_name}: {exc}", file=sys.stderr)
        return 2


def _redact(url: str) -> str:
    """Hide a password in a database URL before logging it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
