"""An intake server on a real socket, on SQLite and PostgreSQL, with stubs for each service."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from clinic.intake.v1 import (
    candidacy_service_pb2_grpc,
    consent_service_pb2_grpc,
    coverage_service_pb2_grpc,
    history_service_pb2_grpc,
    intake_service_pb2_grpc,
    screening_service_pb2_grpc,
    treatment_plan_service_pb2_grpc,
)
from clinic_common.config import KafkaSettings
from clinic_common.publisher import InMemoryPublisher
from clinic_common.runtime import Runtime
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import migrated
from clinic_intake.bootstrap import add_services, build_spec
from clinic_intake.config import IntakeSettings

from tests.conftest import service_database_url


@dataclass
class IntakeClient:
    """Stubs for intake's services over one channel, and the runtime behind them."""

    channel: grpc.Channel
    runtime: Runtime

    def __post_init__(self):
        self.patients = intake_service_pb2_grpc.IntakeServiceStub(self.channel)
        self.coverages = coverage_service_pb2_grpc.CoverageServiceStub(self.channel)
        self.history = history_service_pb2_grpc.HistoryServiceStub(self.channel)
        self.consents = consent_service_pb2_grpc.ConsentServiceStub(self.channel)
        self.screenings = screening_service_pb2_grpc.ScreeningServiceStub(self.channel)
        self.candidacy = candidacy_service_pb2_grpc.CandidacyServiceStub(self.channel)
        self.plans = treatment_plan_service_pb2_grpc.TreatmentPlanServiceStub(self.channel)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Intake's own database, on SQLite and on PostgreSQL."""
    return service_database_url(request, tmp_path, build_spec())


@pytest.fixture
def start_intake(database_url):
    """Starts intake with settings of the test's choosing; stops everything afterwards."""
    started = []

    def start(**settings) -> IntakeClient:
        runtime = Runtime(build_spec(), IntakeSettings(database_url=database_url, **settings),
                          KafkaSettings(), publisher=InMemoryPublisher())
        migrated(runtime)
        host = ServiceHost("intake", host="127.0.0.1", port=0,
                           edge=runtime.edge(auth.verifier()))
        add_services(host, runtime)
        host.start()
        channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
        started.append((channel, host, runtime))
        return IntakeClient(channel, runtime)

    yield start
    for channel, host, runtime in started:
        channel.close()
        host.stop()
        runtime.close()


@pytest.fixture
def api(start_intake) -> IntakeClient:
    return start_intake()
