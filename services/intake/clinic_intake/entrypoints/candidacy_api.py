"""CandidacyService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import candidacy_service_pb2 as pb
from clinic.intake.v1 import candidacy_service_pb2_grpc as pb_grpc
from clinic.intake.v1 import events_pb2
from clinic_common import paging
from clinic_common.protoconv import EnumMap, timestamp

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

    def DecideCandidacy(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        decision_id = candidacy.decide_candidacy(candidacy.DecideCandidacy(
            patient_id=patient_id, modality=msg.modality_in(request.modality),
            outcome=EnumMap(events_pb2.CandidacyOutcome).to_domain(request.outcome, "outcome"),
            reason=request.reason, overrides=[msg.override_in(o) for o in request.overrides],
            **meta), self.deps)
        return pb.DecideCandidacyResponse(decision=msg.decision_out(
            candidacy.get_decision(patient_id, decision_id, self.deps)))

    def GetCandidacyDecision(self, request, context):
        ids = common.DECISION.parse(request.name)
        return pb.GetCandidacyDecisionResponse(
            decision=msg.decision_out(candidacy.get_decision(*ids, self.deps)))

    def ListCandidacyDecisions(self, request, context):
        want = paging.page_request(request)
        page = candidacy.list_decisions(
            common.patient_id(request.parent, "parent"), self.deps, limit=want.size, after=want.after,
            modality=msg.modality_in(request.modality))
        return pb.ListCandidacyDecisionsResponse(
            decisions=[msg.decision_out(d) for d in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))
