"""Wires intake: its spec for the shared runtime, its dependencies, and its gRPC services."""

from pathlib import Path

from clinic.intake.v1 import (
    candidacy_service_pb2,
    candidacy_service_pb2_grpc,
    consent_service_pb2,
    consent_service_pb2_grpc,
    coverage_service_pb2,
    coverage_service_pb2_grpc,
    history_service_pb2,
    history_service_pb2_grpc,
    intake_service_pb2,
    intake_service_pb2_grpc,
    screening_service_pb2,
    screening_service_pb2_grpc,
)
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost

from clinic_intake.adapters import definitions, orm
from clinic_intake.config import IntakeSettings
from clinic_intake.entrypoints.candidacy_api import CandidacyServicer
from clinic_intake.entrypoints.consent_api import ConsentServicer
from clinic_intake.entrypoints.coverage_api import CoverageServicer
from clinic_intake.entrypoints.grpc_api import IntakeServicer
from clinic_intake.entrypoints.history_api import HistoryServicer
from clinic_intake.entrypoints.screening_api import ScreeningServicer
from clinic_intake.service_layer.deps import Deps
from clinic_intake.service_layer.unit_of_work import IntakeUnitOfWork

TOPIC = "clinic.intake.v1"


def build_spec() -> ServiceSpec:
    orm.start_mappers()
    return ServiceSpec(
        name="intake", topic=TOPIC, metadata=orm.metadata,
        migrations_dir=Path(__file__).parent / "migrations", uow_class=IntakeUnitOfWork,
    )


def build_deps(runtime: Runtime) -> Deps:
    """The use cases' dependencies, from the runtime and intake's settings."""
    settings = runtime.settings
    if not isinstance(settings, IntakeSettings):
        settings = IntakeSettings()
    return Deps(uow=runtime.uow, policy=settings.policy(),
                instruments=definitions.load_instruments(settings.instruments_dir),
                rules=definitions.load_rules(settings.contraindication_rules_path))


def _full_name(module, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


def add_services(host: ServiceHost, runtime: Runtime) -> None:
    deps = build_deps(runtime)
    host.add_service(intake_service_pb2_grpc.add_IntakeServiceServicer_to_server,
                     IntakeServicer(deps), _full_name(intake_service_pb2, "IntakeService"))
    host.add_service(coverage_service_pb2_grpc.add_CoverageServiceServicer_to_server,
                     CoverageServicer(deps), _full_name(coverage_service_pb2, "CoverageService"))
    host.add_service(history_service_pb2_grpc.add_HistoryServiceServicer_to_server,
                     HistoryServicer(deps), _full_name(history_service_pb2, "HistoryService"))
    host.add_service(consent_service_pb2_grpc.add_ConsentServiceServicer_to_server,
                     ConsentServicer(deps), _full_name(consent_service_pb2, "ConsentService"))
    host.add_service(screening_service_pb2_grpc.add_ScreeningServiceServicer_to_server,
                     ScreeningServicer(deps),
                     _full_name(screening_service_pb2, "ScreeningService"))
    host.add_service(candidacy_service_pb2_grpc.add_CandidacyServiceServicer_to_server,
                     CandidacyServicer(deps),
                     _full_name(candidacy_service_pb2, "CandidacyService"))
