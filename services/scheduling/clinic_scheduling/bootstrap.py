"""Wires scheduling: its spec for the shared runtime, and its gRPC services."""

from pathlib import Path

from clinic.intake.v1 import events_pb2 as intake_events
from clinic.scheduling.v1 import scheduling_service_pb2_grpc
from clinic_common.config import load
from clinic_common.envelope import EventRegistry
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost

from clinic_scheduling.adapters import orm
from clinic_scheduling.config import SchedulingSettings
from clinic_scheduling.entrypoints import intake_events as intake_handlers
from clinic_scheduling.entrypoints.grpc_api import SchedulingServicer
from clinic_scheduling.entrypoints.permissions import PERMISSIONS
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

TOPIC = "clinic.scheduling.v1"


def build_spec() -> ServiceSpec:
    orm.start_mappers()
    return ServiceSpec(
        name="scheduling", topic=TOPIC, metadata=orm.metadata,
        migrations_dir=Path(__file__).parent / "migrations", uow_class=SchedulingUnitOfWork,
        consumes=[intake_handlers.TOPIC], registry=EventRegistry(intake_events),
        handlers=dict(intake_handlers.HANDLERS),
    )


def add_services(host: ServiceHost, runtime: Runtime) -> None:
    settings = runtime.settings if isinstance(runtime.settings, SchedulingSettings) \
        else load(SchedulingSettings)
    for descriptor, rules in PERMISSIONS.items():
        host.add_service(scheduling_service_pb2_grpc.add_SchedulingServiceServicer_to_server,
                         SchedulingServicer(runtime.runner, settings.policy()), descriptor, rules)
