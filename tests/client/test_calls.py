"""The client's calls against a stand-in server: safe retries keep the request id, paging."""

from concurrent import futures

import grpc
import pytest
from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import patient_pb2
from clinic_client.calls import Caller, Refusal, Unreachable
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

CREATE = "clinic.intake.v1.IntakeService/CreatePatient"
LIST = "clinic.intake.v1.IntakeService/ListPatients"


def _status(code, reason: str, *, retry_after: float | None = None):
    details = [any_pb2.Any()]
    details[0].Pack(error_details_pb2.ErrorInfo(reason=reason,
                                                metadata={"correlation_id": "c-1"}))
    if retry_after is not None:
        details.append(any_pb2.Any())
        details[1].Pack(error_details_pb2.RetryInfo(
            retry_delay=duration_pb2.Duration(nanos=int(retry_after * 1e9))))
    return rpc_status.to_status(status_pb2.Status(code=code, message=reason.lower(),
                                                  details=details))


class StandIn:
    """Answers CreatePatient with the refusals in ``script`` first, then a patient."""

    def __init__(self, script):
        self.script = list(script)
        self.request_ids: list[str] = []
        self.tokens: list[str] = []

    def create(self, request, context):
        self.request_ids.append(request.request_id)
        self.tokens.append(dict(context.invocation_metadata()).get("authorization", ""))
        if self.script:
            context.abort_with_status(self.script.pop(0))
        return pb.CreatePatientResponse(patient=patient_pb2.Patient(patient_id="p1"))

    def list(self, request, context):
        page = int(request.page_token or 0)
        return pb.ListPatientsResponse(
            patients=[patient_pb2.Patient(patient_id=f"p{page}")],
            next_page_token=str(page + 1) if page < 2 else "")


@pytest.fixture
def serve():
    servers = []

    def start(stand_in: StandIn) -> Caller:
        server = grpc.server(futures.ThreadPoolExecutor(2))
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
            "clinic.intake.v1.IntakeService", {
                "CreatePatient": grpc.unary_unary_rpc_method_handler(
                    stand_in.create, pb.CreatePatientRequest.FromString,
                    pb.CreatePatientResponse.SerializeToString),
                "ListPatients": grpc.unary_unary_rpc_method_handler(
                    stand_in.list, pb.ListPatientsRequest.FromString,
                    pb.ListPatientsResponse.SerializeToString)})])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return Caller(grpc.insecure_channel(f"127.0.0.1:{port}"), token=lambda: "t0k",
                      deadline=5, sleep=lambda _: None)

    yield start
    for server in servers:
        server.stop(0)


def test_unavailable_is_retried_with_the_same_request_id_and_the_token(serve):
    stand_in = StandIn([_status(code_pb2.UNAVAILABLE, "DOWN")] * 2)
    patient = serve(stand_in).call(CREATE, patient=patient_pb2.Patient(given_name="A")).patient
    assert patient.patient_id == "p1"
    assert len(stand_in.request_ids) == 3 and len(set(stand_in.request_ids)) == 1
    assert stand_in.request_ids[0] and stand_in.tokens == ["Bearer t0k"] * 3


def test_a_refusal_with_retry_info_is_retried_and_a_plain_refusal_is_not(serve):
    retryable = StandIn([_status(code_pb2.ABORTED, "CONFLICT", retry_after=0.01)])
    assert serve(retryable).call(CREATE).patient.patient_id == "p1"
    assert len(retryable.request_ids) == 2
    refused = StandIn([_status(code_pb2.FAILED_PRECONDITION, "NOT_CLEARED")])
    with pytest.raises(Refusal) as caught:
        serve(refused).call(CREATE)
    assert (caught.value.code, caught.value.reason, caught.value.correlation_id) == \
        ("FAILED_PRECONDITION", "NOT_CLEARED", "c-1")
    assert len(refused.request_ids) == 1


def test_a_service_that_stays_down_is_unreachable_after_the_tries(serve):
    stand_in = StandIn([_status(code_pb2.UNAVAILABLE, "DOWN")] * 10)
    with pytest.raises(Unreachable):
        serve(stand_in).call(CREATE)
    assert len(stand_in.request_ids) == 4


def test_pages_walk_every_page(serve):
    caller = serve(StandIn([]))
    assert [p.patient_id for p in caller.pages(LIST, "patients")] == ["p0", "p1", "p2"]
