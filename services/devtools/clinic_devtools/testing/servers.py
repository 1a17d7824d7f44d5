"""Any of the three services in-process on a real socket, for tests that walk all of them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
from clinic_common.config import KafkaSettings
from clinic_common.publisher import InMemoryPublisher
from clinic_common.runtime import Runtime
from clinic_common.server import ServiceHost

from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import migrated

SETTINGS = {"intake": "IntakeSettings", "scheduling": "SchedulingSettings",
            "billing": "BillingSettings"}


@dataclass
class Running:
    name: str
    host: ServiceHost
    runtime: Runtime
    address: str

    def channel(self) -> grpc.Channel:
        """A bare channel: calls bring their own token."""
        return grpc.insecure_channel(self.address)


@contextmanager
def running(service: str, database_url: str, **settings) -> Iterator[Running]:
    bootstrap = importlib.import_module(f"clinic_{service}.bootstrap")
    config = importlib.import_module(f"clinic_{service}.config")
    service_settings = getattr(config, SETTINGS[service])(database_url=database_url, **settings)
    spec = bootstrap.build_spec(service_settings) if service == "billing" else \
        bootstrap.build_spec()
    runtime = Runtime(spec, service_settings, KafkaSettings(), publisher=InMemoryPublisher())
    migrated(runtime)
    host = ServiceHost(service, host="127.0.0.1", port=0, edge=runtime.edge(auth.verifier()))
    bootstrap.add_services(host, runtime)
    host.start()
    try:
        yield Running(service, host, runtime, f"127.0.0.1:{host.port}")
    finally:
        host.stop()
        runtime.close()
