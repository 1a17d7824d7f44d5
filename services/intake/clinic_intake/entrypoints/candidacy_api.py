"""CandidacyService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import candidacy_service_pb2 as pb
from clinic.intake.v1 import candidacy_service_pb2_grpc as pb_grpc
from clinic_common.protoconv import timestamp

from clinic_intake.entrypoints import candidacy_messages as msg
from clinic_intake.entrypoints import common
from clinic_intake.service_layer import candidacy
from clinic_intake.service_layer.deps import Deps


class CandidacyServicer(pb_grpc.CandidacyServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def EvaluateContraindications(self, request, context):
        findings, evaluated = candidacy.evaluate(
            common.patient_id(request.parent, "parent"), msg.modality_in(request.modality),
            self.deps)
        return pb.EvaluateContraindicationsResponse(
            findings=[msg.finding_out(f) for f in findings], evaluate_time=timestamp(evaluated))
