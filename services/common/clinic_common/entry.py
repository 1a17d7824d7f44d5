"""The process entry point shared by every service: ``python -m clinic_<name> serve``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from clinic_common import logs
from clinic_common.config import (
    AuthSettings,
    ConfigurationError,
    KafkaSettings,
    ServiceSettings,
    TlsSettings,
    load,
)
from clinic_common.edge import verifier_from
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost

log = logging.getLogger(__name__)

AddServices = Callable[[ServiceHost, Runtime], None]


def serve(spec: ServiceSpec, settings: ServiceSettings, kafka: KafkaSettings, auth: AuthSettings,
          tls: TlsSettings, add_services: AddServices) -> int:
    verifier = verifier_from(auth, settings.data_dir)
    runtime = Runtime(spec, settings, kafka)
    host = ServiceHost(spec.name, host=settings.host, port=settings.listen_port,
                       edge=runtime.edge(verifier), workers=settings.grpc_workers,
                       grace_seconds=settings.shutdown_grace_seconds,
                       max_message_bytes=settings.max_message_bytes, tls=tls)
    add_services(host, runtime)
    host.add_worker(runtime.relay)
    consumer = runtime.consumer()
    if consumer is not None:
        host.add_worker(consumer)
    host.start(startup=runtime.migrate if settings.migrate_on_start else (lambda: None))
    host.run_until_signalled()
    runtime.close()
    return 0


def main(spec_factory: Callable[[], ServiceSpec], settings_class: type[ServiceSettings],
         add_services: AddServices, argv: list[str] | None = None) -> int:
    """``serve`` runs the service; ``migrate`` upgrades its database and exits."""
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
    spec = spec_factory()
    if args.command == "migrate":
        Runtime(spec, settings, kafka).migrate()
        log.info("migrated", extra={"database": _redact(settings.resolved_database_url)})
        return 0
    try:
        return serve(spec, settings, kafka, auth, tls, add_services)
    except ConfigurationError as exc:
        print(f"{settings_class.service_name}: {exc}", file=sys.stderr)
        return 2


def _redact(url: str) -> str:
    """Hide a password in a database URL before logging it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
