"""The Prometheus endpoint of a service process, scraped while it serves real calls."""

import urllib.request
import uuid

import pytest
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
from clinic.intake.v1 import patient_pb2
from clinic_common.identity import Role
from clinic_devtools.testing.infra import free_port
from clinic_devtools.testing.processes import ServiceProcess
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import eventually

pytestmark = pytest.mark.e2e


def scrape(port: int) -> dict[str, list]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(samples, name: str, **labels) -> float | None:
    for sample in samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return None


def test_metrics_scraped_during_calls_show_rpcs_and_the_outbox(postgres_databases,
                                                               kafka_settings, tmp_path):
    port = free_port()
    process = ServiceProcess("intake", {
        "INTAKE_DATABASE_URL": postgres_databases.create("intake"),
        "INTAKE_METRICS_PORT": str(port),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
        "KAFKA_RELAY_POLL_INTERVAL_MS": "100",
    }, tmp_path).start(60)
    try:
        stub = intake_grpc.IntakeServiceStub(process.channel(Role.FRONT_DESK))
        patient = patient_pb2.Patient(given_name="Metric", family_name=uuid.uuid4().hex[:8])
        patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = \
            1980, 1, 2
        stub.CreatePatient(intake_pb.CreatePatientRequest(patient=patient))

        families = scrape(port)
        rpcs = families["clinic_rpc_requests"]
        assert value(rpcs, "clinic_rpc_requests_total", grpc_service="clinic.intake.v1.IntakeService",
                     grpc_method="CreatePatient", grpc_code="OK") == 1
        assert value(families["clinic_rpc_duration_seconds"], "clinic_rpc_duration_seconds_count",
                     grpc_method="CreatePatient") == 1
        assert value(families["clinic_outbox_backlog"], "clinic_outbox_backlog",
                     service="intake") is not None
        assert value(families["clinic_outbox_oldest_unsent_age_seconds"],
                     "clinic_outbox_oldest_unsent_age_seconds", service="intake") is not None
        assert value(families["clinic_db_pool_checked_out"], "clinic_db_pool_checked_out",
                     service="intake") is not None
        assert value(families["clinic_db_pool_capacity"], "clinic_db_pool_capacity",
                     service="intake") == 20  # pool_size 10 plus overflow 10
        assert value(families["clinic_serving"], "clinic_serving", service="intake") == 1
        assert value(families["clinic_worker_running"], "clinic_worker_running",
                     service="intake", worker="relay") == 1
        # The relay publishes the patient's event: the backlog drains to zero.
        eventually(lambda: value(scrape(port)["clinic_outbox_backlog"], "clinic_outbox_backlog",
                                 service="intake") == 0)
    finally:
        process.terminate()
