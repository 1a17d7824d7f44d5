"""Findings and candidacy decisions as protobuf messages."""

from __future__ import annotations

from clinic.intake.v1 import candidacy_pb2, events_pb2

from clinic_intake.domain.contraindications import Finding
from clinic_intake.entrypoints.common import enum_in, enum_out


def modality_in(value: int, field: str = "modality") -> str:
    return enum_in(events_pb2.Modality, value, field)


def modality_out(value: str) -> int:
    return enum_out(events_pb2.Modality, value)


def finding_out(f: Finding) -> candidacy_pb2.Finding:
    return candidacy_pb2.Finding(
        rule_id=f.rule_id, title=f.title,
        outcome=enum_out(candidacy_pb2.FindingOutcome, f.outcome),
        facts=[candidacy_pb2.TriggeringFact(description=x.description, record=x.record)
               for x in f.facts])
