"""Findings and candidacy decisions as protobuf messages."""

from __future__ import annotations

from clinic.intake.v1 import candidacy_pb2, events_pb2
from clinic_common.protoconv import EnumMap, timestamp

from clinic_intake.domain.candidacy import CandidacyDecision, Override
from clinic_intake.domain.contraindications import Finding


def modality_in(value: int, field: str = "modality") -> str:
    return EnumMap(events_pb2.Modality).to_domain(value, field)


def modality_out(value: str) -> int:
    return EnumMap(events_pb2.Modality).to_proto(value)


def finding_out(f: Finding) -> candidacy_pb2.Finding:
    return candidacy_pb2.Finding(
        rule_id=f.rule_id, title=f.title,
        outcome=EnumMap(candidacy_pb2.FindingOutcome).to_proto(f.outcome),
        facts=[candidacy_pb2.TriggeringFact(description=x.description, record=x.record)
               for x in f.facts])


def override_in(message) -> Override:
    return Override(rule_id=message.rule_id.strip(), reason=message.reason)


def decision_out(d: CandidacyDecision) -> candidacy_pb2.CandidacyDecision:
    prefix = f"patients/{d.patient_id}"
    return candidacy_pb2.CandidacyDecision(
        name=f"{prefix}/candidacyDecisions/{d.decision_id}", decision_id=d.decision_id,
        modality=modality_out(d.modality),
        outcome=EnumMap(events_pb2.CandidacyOutcome).to_proto(d.outcome), reason=d.reason,
        decided_by=d.decided_by, decide_time=timestamp(d.decided_at),
        findings=[_stored_finding(f) for f in d.findings],
        overrides=[candidacy_pb2.FindingOverride(**o) for o in d.overrides],
        screenings=[f"{prefix}/screenings/{s}" for s in d.screening_ids],
        consents=[f"{prefix}/consents/{c}" for c in d.consent_ids],
        escort_required=d.escort_required, fasting_instruction=d.fasting_instruction)


def _stored_finding(data: dict) -> candidacy_pb2.Finding:
    return candidacy_pb2.Finding(
        rule_id=data["rule_id"], title=data["title"],
        outcome=EnumMap(candidacy_pb2.FindingOutcome).to_proto(data["outcome"]),
        facts=[candidacy_pb2.TriggeringFact(**fact) for fact in data["facts"]])
