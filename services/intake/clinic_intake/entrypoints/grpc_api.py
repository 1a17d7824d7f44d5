"""IntakeService over gRPC: translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.access import acts_as, require_role
from clinic_common.errors import FieldViolation
from clinic_common.identity import CLINICIANS, Role
from clinic_common.protoconv import to_date

from clinic_intake.entrypoints import common, patient_messages, revision_messages
from clinic_intake.service_layer import merges, patients
from clinic_intake.service_layer.deps import Deps

# The roles that see what screening answers imply (open safety flags) on a patient.
CLINICAL = (Role.NURSE, Role.PROVIDER, Role.TMS_TECHNICIAN)


def _out(view: patients.PatientView):
    return patient_messages.to_proto(view, clinical=acts_as(CLINICAL))


class IntakeServicer(pb_grpc.IntakeServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def _patient(self, patient_id: str):
        return _out(patients.get_patient(patient_id, self.deps))

    def CreatePatient(self, request, context):
        if not request.HasField("patient"):
            raise FieldViolation("patient", "is required")
        details = patient_messages.values(request.patient)
        view = patients.register_patient(patients.RegisterPatient(
            given_name=details.pop("given_name"), family_name=details.pop("family_name"),
            date_of_birth=details.pop("date_of_birth"), details=details,
            **common.change(request)), self.deps)
        return pb.CreatePatientResponse(patient=_out(view))

    def GetPatient(self, request, context):
        return pb.GetPatientResponse(patient=self._patient(common.patient_id(request.name)))

    def ListPatients(self, request, context):
        want = paging.page_request(request)
        views, next_key = patients.list_patients(
            self.deps, limit=want.size, after=want.after, name_prefix=request.name_prefix.strip(),
            phone=request.phone.strip(),
            date_of_birth=to_date(request.date_of_birth, "date_of_birth", required=False))
        return pb.ListPatientsResponse(patients=[_out(v) for v in views],
                                       next_page_token=paging.next_page_token(next_key, request))

    def UpdatePatient(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.patient.name, "patient.name")
        values = patient_messages.values(request.patient, request.update_mask.paths)
        patients.update_patient(patients.UpdatePatient(
            patient_id=patient_id, values=values, **meta), self.deps)
        return pb.UpdatePatientResponse(patient=self._patient(patient_id))

    def MergePatients(self, request, context):
        meta = common.change(request)
        survivor = common.patient_id(request.surviving_patient, "surviving_patient")
        merged = common.patient_id(request.merged_patient, "merged_patient")
        merges.merge_patients(merges.MergePatients(
            surviving_patient_id=survivor, merged_patient_id=merged, **meta), self.deps)
        return pb.MergePatientsResponse(surviving_patient=self._patient(survivor),
                                        merged_patient=self._patient(merged))

    def ConfirmDistinctPatients(self, request, context):
        meta = common.change(request)
        first = common.patient_id(request.patient, "patient")
        other = common.patient_id(request.other_patient, "other_patient")
        merges.confirm_distinct(merges.ConfirmDistinct(
            patient_id=first, other_patient_id=other, **meta), self.deps)
        return pb.ConfirmDistinctPatientsResponse(patient=self._patient(first))

    def ListRecordRevisions(self, request, context):
        want = paging.page_request(request)
        record_type, patient_id, record_id = revision_messages.parse_record(request.record)
        if record_type in revision_messages.CLINICAL:
            require_role(CLINICIANS, "the revisions of a clinical record")
        page = patients.list_revisions(record_type, patient_id, record_id, self.deps,
                                       limit=want.size, after=want.after)
        return pb.ListRecordRevisionsResponse(
            revisions=[revision_messages.to_proto(request.record, r) for r in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))
