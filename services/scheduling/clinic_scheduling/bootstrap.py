"""Wires scheduling: its spec for the shared runtime, and its gRPC services."""

import os
from pathlib import Path

from clinic.intake.v1 import events_pb2 as intake_events
from clinic.scheduling.v1 import (
    appointment_service_pb2_grpc,
    appointment_type_service_pb2_grpc,
    availability_service_pb2_grpc,
    location_service_pb2_grpc,
    series_service_pb2_grpc,
    staff_service_pb2_grpc,
    visit_service_pb2_grpc,
    waitlist_service_pb2_grpc,
)
from clinic_common.config import load
from clinic_common.entry import CALLS_ONLY
from clinic_common.envelope import EventRegistry
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost

from clinic_scheduling.adapters import orm
from clinic_scheduling.config import SchedulingSettings
from clinic_scheduling.entrypoints import intake_events as intake_handlers
from clinic_scheduling.entrypoints.appointment_api import AppointmentServicer
from clinic_scheduling.entrypoints.appointment_type_api import AppointmentTypeServicer
from clinic_scheduling.entrypoints.availability_api import AvailabilityServicer
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.location_api import LocationServicer
from clinic_scheduling.entrypoints.permissions import PERMISSIONS
from clinic_scheduling.entrypoints.series_api import SeriesServicer
from clinic_scheduling.entrypoints.staff_api import StaffServicer
from clinic_scheduling.entrypoints.visit_api import VisitServicer
from clinic_scheduling.entrypoints.waitlist_api import WaitlistServicer
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork
from clinic_scheduling.sweeper import Sweeper

TOPIC = "clinic.scheduling.v1"

# Each gRPC service by name: its generated module and its servicer.
SERVICERS = {
    "LocationService": (location_service_pb2_grpc, LocationServicer),
    "AppointmentTypeService": (appointment_type_service_pb2_grpc, AppointmentTypeServicer),
    "AppointmentService": (appointment_service_pb2_grpc, AppointmentServicer),
    "VisitService": (visit_service_pb2_grpc, VisitServicer),
    "StaffService": (staff_service_pb2_grpc, StaffServicer),
    "AvailabilityService": (availability_service_pb2_grpc, AvailabilityServicer),
    "SeriesService": (series_service_pb2_grpc, SeriesServicer),
    "WaitlistService": (waitlist_service_pb2_grpc, WaitlistServicer),
}


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
    deps = Deps(runner=runtime.runner, policy=settings.policy())
    # The consumer (made after this) offers the slots a patient merge frees to the
    # waitlist under the configured policy, as the API does.
    runtime.spec.handlers.update(intake_handlers.handlers(deps.policy))
    for descriptor, rules in PERMISSIONS.items():
        generated, servicer = SERVICERS[descriptor.name]
        register = getattr(generated, f"add_{descriptor.name}Servicer_to_server")
        host.add_service(register, servicer(deps), descriptor, rules)
    # One sweeper per service instance (not in the extra processes that serve calls only);
    # sweeps of several replicas may overlap safely.
    if settings.sweep_seconds > 0 and os.environ.get(CALLS_ONLY) != "1":
        host.add_worker(Sweeper(runtime.runner, deps.policy, settings.sweep_seconds))
