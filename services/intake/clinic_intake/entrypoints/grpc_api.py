"""IntakeService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from collections.abc import Callable

from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2_grpc as pb_grpc
from clinic.intake.v1 import patient_pb2
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import fill_date, timestamp, to_date, utc
from clinic_common.unit_of_work import fingerprint

from clinic_intake.domain import model
from clinic_intake.service_layer import services
from clinic_intake.service_layer.unit_of_work import IntakeUnitOfWork

PATIENTS = "patients/"


def patient_id_from_name(name: str, field: str = "name") -> str:
    if not name.startswith(PATIENTS) or "/" in name[len(PATIENTS):] or len(name) == len(PATIENTS):
        raise FieldViolation(field, f"must look like patients/{{patient}}, got {name!r}")
    return name[len(PATIENTS):]


def patient_to_proto(patient: model.Patient) -> patient_pb2.Patient:
    message = patient_pb2.Patient(
        name=PATIENTS + patient.patient_id, patient_id=patient.patient_id,
        given_name=patient.given_name, family_name=patient.family_name,
        preferred_name=patient.preferred_name, phone=patient.phone, email=patient.email,
        preferred_location_id=patient.preferred_location_id,
        create_time=timestamp(utc(patient.created_at)),
        update_time=timestamp(utc(patient.updated_at)))
    fill_date(message.date_of_birth, patient.date_of_birth)
    return message


class IntakeServicer(pb_grpc.IntakeServiceServicer):
    def __init__(self, uow_factory: Callable[[], IntakeUnitOfWork]):
        self.uow = uow_factory

    def CreatePatient(self, request, context):
        if not request.HasField("patient"):
            raise FieldViolation("patient", "is required")
        p = request.patient
        patient_id = services.register_patient(services.RegisterPatient(
            given_name=p.given_name, family_name=p.family_name,
            date_of_birth=to_date(p.date_of_birth, "patient.date_of_birth"),
            phone=p.phone, email=p.email, preferred_name=p.preferred_name,
            preferred_location_id=p.preferred_location_id, request_id=request.request_id,
            fingerprint=fingerprint(request)), self.uow())
        patient = services.get_patient(patient_id, self.uow())
        return pb.CreatePatientResponse(patient=patient_to_proto(patient))

    def GetPatient(self, request, context):
        patient = services.get_patient(patient_id_from_name(request.name), self.uow())
        return pb.GetPatientResponse(patient=patient_to_proto(patient))

    def ListPatients(self, request, context):
        limit = paging.page_size(request.page_size)
        token = paging.decode_token(request.page_token)
        after = tuple(token["after"]) if token else None
        rows = services.list_patients(
            self.uow(), limit=limit + 1, after=after,
            date_of_birth=to_date(request.date_of_birth, "date_of_birth", required=False))
        page, more = rows[:limit], len(rows) > limit
        next_token = paging.encode_token({"after": [page[-1].family_name, page[-1].given_name,
                                                    page[-1].patient_id]}) if more else ""
        return pb.ListPatientsResponse(patients=[patient_to_proto(p) for p in page],
                                       next_page_token=next_token)
