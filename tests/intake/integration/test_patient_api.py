"""The patient slice of IntakeService over a real gRPC socket, on SQLite and PostgreSQL."""

import grpc
import pytest
from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2_grpc as pb_grpc
from clinic.intake.v1 import patient_pb2
from clinic_common.config import KafkaSettings
from clinic_common.publisher import InMemoryPublisher
from clinic_common.runtime import Runtime
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import migrated
from clinic_intake.bootstrap import add_services, build_spec
from clinic_intake.config import IntakeSettings
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@pytest.fixture
def intake(database_url):
    settings = IntakeSettings(database_url=database_url)
    runtime = Runtime(build_spec(), settings, KafkaSettings(), publisher=InMemoryPublisher())
    migrated(runtime)
    host = ServiceHost("intake", host="127.0.0.1", port=0, edge=runtime.edge(auth.verifier()))
    add_services(host, runtime)
    host.start()
    channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
    yield pb_grpc.IntakeServiceStub(channel), runtime
    channel.close()
    host.stop()
    runtime.close()


def _patient(**overrides) -> patient_pb2.Patient:
    patient = patient_pb2.Patient(given_name="Ana", family_name="Reyes", phone="+16195550101")
    patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = 1984, 5, 17
    for key, value in overrides.items():
        setattr(patient, key, value)
    return patient


def _reason(error: grpc.RpcError) -> str:
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(error).details[0].Unpack(info)
    return info.reason


def test_created_patient_can_be_read_back_and_announced(intake):
    stub, runtime = intake
    created = stub.CreatePatient(pb.CreatePatientRequest(patient=_patient())).patient
    fetched = stub.GetPatient(pb.GetPatientRequest(name=created.name)).patient
    assert fetched == created
    with runtime.session_factory() as session:
        pending = runtime.outbox.pending(session, 10)
    assert [r.event_type for r in pending] == ["clinic.intake.v1.PatientRegistered"]
    assert pending[0].partition_key == created.patient_id


def test_retry_with_same_request_id_registers_once(intake):
    stub, runtime = intake
    first = stub.CreatePatient(pb.CreatePatientRequest(patient=_patient(), request_id="abc"))
    second = stub.CreatePatient(pb.CreatePatientRequest(patient=_patient(), request_id="abc"))
    assert first.patient.patient_id == second.patient.patient_id
    assert len(stub.ListPatients(pb.ListPatientsRequest()).patients) == 1
    with runtime.session_factory() as session:
        assert runtime.outbox.count_pending(session) == 1


def test_request_id_reused_for_other_payload_is_refused(intake):
    stub, _ = intake
    stub.CreatePatient(pb.CreatePatientRequest(patient=_patient(), request_id="abc"))
    with pytest.raises(grpc.RpcError) as refused:
        stub.CreatePatient(pb.CreatePatientRequest(patient=_patient(given_name="Bea"),
                                                   request_id="abc"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _reason(refused.value) == "REQUEST_ID_REUSED"


def test_missing_birth_date_is_invalid_and_stores_nothing(intake):
    stub, runtime = intake
    bad = _patient()
    bad.ClearField("date_of_birth")
    with pytest.raises(grpc.RpcError) as refused:
        stub.CreatePatient(pb.CreatePatientRequest(patient=bad))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "date_of_birth" in refused.value.details()
    assert stub.ListPatients(pb.ListPatientsRequest()).patients == []
    with runtime.session_factory() as session:
        assert runtime.outbox.count_pending(session) == 0


def test_unknown_patient_is_not_found(intake):
    stub, _ = intake
    with pytest.raises(grpc.RpcError) as refused:
        stub.GetPatient(pb.GetPatientRequest(name="patients/nope"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert _reason(refused.value) == "PATIENT_NOT_FOUND"


def test_list_pages_through_all_patients_in_name_order(intake):
    stub, _ = intake
    for family in ["Cruz", "Abbott", "Baker", "Diaz", "Evans"]:
        stub.CreatePatient(pb.CreatePatientRequest(patient=_patient(family_name=family)))
    seen, token = [], ""
    while True:
        page = stub.ListPatients(pb.ListPatientsRequest(page_size=2, page_token=token))
        seen += [p.family_name for p in page.patients]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["Abbott", "Baker", "Cruz", "Diaz", "Evans"]


def test_garbage_page_token_is_invalid_argument(intake):
    stub, _ = intake
    with pytest.raises(grpc.RpcError) as refused:
        stub.ListPatients(pb.ListPatientsRequest(page_token="%%%"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _reason(refused.value) == "INVALID_PAGE_TOKEN"
