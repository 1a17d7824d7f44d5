"""Wires intake: its spec for the shared runtime, its dependencies, and its gRPC services."""

from pathlib import Path

from clinic.intake.v1 import (
    candidacy_service_pb2_grpc,
    consent_service_pb2_grpc,
    coverage_service_pb2_grpc,
    history_service_pb2_grpc,
    intake_service_pb2_grpc,
    screening_service_pb2_grpc,
    treatment_plan_service_pb2_grpc,
)
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost

from clinic_intake.adapters import definitions, orm
from clinic_intake.config import IntakeSettings
from clinic_intake.domain import icd10cm
from clinic_intake.entrypoints.candidacy_api import CandidacyServicer
from clinic_intake.entrypoints.consent_api import ConsentServicer
from clinic_intake.entrypoints.coverage_api import CoverageServicer
from clinic_intake.entrypoints.grpc_api import IntakeServicer
from clinic_intake.entrypoints.history_api import HistoryServicer
from clinic_intake.entrypoints.permissions import PERMISSIONS
from clinic_intake.entrypoints.plan_api import TreatmentPlanServicer
from clinic_intake.entrypoints.screening_api import ScreeningServicer
from clinic_intake.service_layer.deps import Deps
from clinic_intake.service_layer.unit_of_work import IntakeUnitOfWork

TOPIC = "clinic.intake.v1"

# Each gRPC service by name: its generated module and its servicer.
SERVICERS = {
    "IntakeService": (intake_service_pb2_grpc, IntakeServicer),
    "CoverageService": (coverage_service_pb2_grpc, CoverageServicer),
    "HistoryService": (history_service_pb2_grpc, HistoryServicer),
    "ConsentService": (consent_service_pb2_grpc, ConsentServicer),
    "ScreeningService": (screening_service_pb2_grpc, ScreeningServicer),
    "CandidacyService": (candidacy_service_pb2_grpc, CandidacyServicer),
    "TreatmentPlanService": (treatment_plan_service_pb2_grpc, TreatmentPlanServicer),
}


def build_spec() -> ServiceSpec:
    orm.start_mappers()
    return ServiceSpec(
        name="intake", topic=TOPIC, metadata=orm.metadata,
        migrations_dir=Path(__file__).parent / "migrations", uow_class=IntakeUnitOfWork,
    )


def build_deps(runtime: Runtime) -> Deps:
    """The use cases' dependencies, from the runtime and intake's settings.

    Instrument definitions, the rule set and the dosing protocols are read here, so a malformed file stops
    the service at start rather than failing calls later; the ICD-10-CM code set is
    loaded here too, so the first call that checks a code does not wait for it.
    """
    settings = runtime.settings
    if not isinstance(settings, IntakeSettings):
        settings = IntakeSettings()
    icd10cm.load()
    return Deps(runner=runtime.runner, policy=settings.policy(),
                instruments=definitions.load_instruments(settings.instruments_dir),
                rules=definitions.load_rules(settings.contraindication_rules_path),
                protocols=definitions.load_protocols(settings.dosing_protocols_path))


def add_services(host: ServiceHost, runtime: Runtime) -> None:
    deps = build_deps(runtime)
    for descriptor, rules in PERMISSIONS.items():
        generated, servicer = SERVICERS[descriptor.name]
        register = getattr(generated, f"add_{descriptor.name}Servicer_to_server")
        host.add_service(register, servicer(deps), descriptor, rules)
