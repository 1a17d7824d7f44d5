"""Record revisions as protobuf messages, and record names as (type, patient, id)."""

from __future__ import annotations

from clinic.intake.v1 import revision_pb2
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import timestamp, utc
from google.protobuf import struct_pb2

from clinic_intake.domain.revisions import Revision
from clinic_intake.entrypoints.common import parse_name

# The collection in a resource name, and the record type it holds.
COLLECTIONS = {"coverages": "coverage", "historyEntries": "history_entry",
               "consents": "consent"}


def parse_record(name: str) -> tuple[str, str, str]:
    """(record type, patient id, record id) for a record's resource name."""
    parts = name.split("/")
    if len(parts) == 2:
        patient_id, = parse_name(name, "record", "patients")
        return "patient", patient_id, patient_id
    if len(parts) == 4 and parts[2] in COLLECTIONS:
        patient_id, record_id = parse_name(name, "record", "patients", parts[2])
        return COLLECTIONS[parts[2]], patient_id, record_id
    kinds = ", ".join(f"patients/{{patient}}/{c}/{{id}}" for c in COLLECTIONS)
    raise FieldViolation("record", f"must be patients/{{patient}} or one of {kinds}")


def to_proto(record: str, revision: Revision) -> revision_pb2.RecordRevision:
    snapshot = struct_pb2.Struct()
    snapshot.update(revision.snapshot)
    return revision_pb2.RecordRevision(
        record=record, revision=revision.revision, changed_by=revision.changed_by,
        change_time=timestamp(utc(revision.changed_at)),
        changed_fields=revision.changed_fields, reason=revision.reason, snapshot=snapshot)
