"""Record revisions as protobuf messages, and record names as (type, patient, id)."""

from __future__ import annotations

from clinic.intake.v1 import revision_pb2
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import timestamp
from google.protobuf import struct_pb2

from clinic_intake.domain.revisions import Revision
from clinic_intake.entrypoints.common import CONSENT, COVERAGE, HISTORY_ENTRY, PATIENT

# The records that keep revisions: their names, and the record type each holds.
REVISED = {"coverage": COVERAGE, "history_entry": HISTORY_ENTRY, "consent": CONSENT}
# Revisions of these show clinical detail: only clinicians read them.
CLINICAL = frozenset({"history_entry"})


def parse_record(name: str) -> tuple[str, str, str]:
    """(record type, patient id, record id) for a record's resource name."""
    if PATIENT.matches(name):
        patient_id = PATIENT.parse_one(name)
        return "patient", patient_id, patient_id
    for record_type, pattern in REVISED.items():
        if pattern.matches(name):
            patient_id, record_id = pattern.parse(name)
            return record_type, patient_id, record_id
    kinds = ", ".join(p.pattern for p in REVISED.values())
    raise FieldViolation("record", f"must be patients/{{patient}} or one of {kinds}")


def to_proto(record: str, revision: Revision) -> revision_pb2.RecordRevision:
    snapshot = struct_pb2.Struct()
    snapshot.update(revision.snapshot)
    return revision_pb2.RecordRevision(
        record=record, revision=revision.revision, changed_by=revision.changed_by,
        change_time=timestamp(revision.changed_at),
        changed_fields=revision.changed_fields, reason=revision.reason, snapshot=snapshot)
