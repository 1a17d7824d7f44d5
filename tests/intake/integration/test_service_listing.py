"""Every intake gRPC service is registered: reflection lists it and health reports it."""

from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICES = {f"clinic.intake.v1.{name}" for name in (
    "IntakeService", "CoverageService", "HistoryService", "ConsentService", "ScreeningService",
    "CandidacyService", "TreatmentPlanService")}


def test_reflection_lists_every_intake_service(api):
    stub = reflection_pb2_grpc.ServerReflectionStub(api.channel)
    [reply] = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(
        list_services="")]))
    listed = {s.name for s in reply.list_services_response.service}
    assert listed >= SERVICES


def test_health_reports_each_service_serving(api):
    stub = health_pb2_grpc.HealthStub(api.channel)
    for name in SERVICES:
        status = stub.Check(health_pb2.HealthCheckRequest(service=name)).status
        assert status == health_pb2.HealthCheckResponse.SERVING, name
