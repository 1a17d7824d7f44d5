"""Helpers for billing's tests: event records, outbox reading, error reasons, row counts."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
from clinic.billing.v1 import events_pb2 as billing_events
from clinic.common.v1 import types_pb2
from clinic.scheduling.v1 import events_pb2 as scheduling
from clinic_common import envelope
from clinic_common.consumer import Record
from clinic_common.protoconv import fill_date, timestamp
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import func, select

COUNTED_TABLES = ["accounts", "charges", "ledger_entries", "coverages", "outbox", "request_log",
                  "payers", "contracted_rates", "plan_facts", "claims", "claim_lines", "claim_batches",
                  "remittances", "remittance_claims", "suspense_items", "denials", "payments",
                  "write_offs", "prior_authorizations", "prior_authorization_uses",
                  "claim_transitions", "bookings",
                  "price_versions", "billing_provider_versions", "rendering_providers"]

# A billing provider claims can go out from (1234567893 is CMS's example NPI).
PROVIDER = dict(provider_name="Clinic Group", provider_npi="1234567893",
                provider_tax_id="12-3456789", provider_address="100 Grand Ave, Carlsbad, CA 92008",
                rendering_provider_npis={"dr-lee": "1234567893"}, provider_phone="619-555-0100")


def reason(error: grpc.RpcError) -> str:
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(error).details[0].Unpack(info)
    return info.reason


def error_metadata(error: grpc.RpcError) -> dict[str, str]:
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(error).details[0].Unpack(info)
    return dict(info.metadata)


def date(value: dt.date) -> types_pb2.Date:
    message = types_pb2.Date()
    fill_date(message, value)
    return message


def record(message: Message, *, event_id: str | None = None, offset: int = 0,
           value: bytes | None = None) -> Record:
    """A Kafka record carrying ``message`` as a CloudEvent, as the relay would publish it."""
    event_type = message.DESCRIPTOR.full_name
    topic = event_type.rsplit(".", 1)[0]
    headers = envelope.attributes(
        event_id=event_id or str(uuid.uuid4()), event_type=event_type,
        source=f"/clinic/{topic.split('.')[1]}", time=dt.datetime.now(dt.UTC),
        correlation_id="corr-1")
    key = getattr(message, "patient_id", "") or getattr(message, "surviving_patient_id", "")
    return Record(topic=topic, partition=0, offset=offset, key=key.encode(),
                  value=message.SerializeToString() if value is None else value,
                  headers=envelope.to_kafka_headers(headers))


def completed(appointment_id: str, patient_id: str, day: dt.date,
              *lines: tuple[str, int]) -> scheduling.AppointmentCompleted:
    return scheduling.AppointmentCompleted(
        appointment_id=appointment_id, patient_id=patient_id, location_id="carlsbad",
        appointment_type="VISIT", service_date=day.isoformat(), rendering_provider_id="dr-lee",
        service_lines=[scheduling.ServiceLine(procedure_code=code, units=units,
                                              diagnosis_codes=["F33.2"]) for code, units in lines],
        complete_time=timestamp(dt.datetime.combine(day, dt.time(20), dt.UTC)))


def outbox_events(runtime) -> list[tuple[str, Message]]:
    """(partition key, decoded event) of everything in the outbox, in commit order."""
    with runtime.session_factory() as session:
        rows = runtime.outbox.pending(session, 10_000)
    decoded = []
    for row in rows:
        cls = getattr(billing_events, row.event_type.rsplit(".", 1)[1])
        decoded.append((row.partition_key, cls.FromString(row.payload)))
    return decoded


def events_of(runtime, cls) -> list[Message]:
    return [event for _, event in outbox_events(runtime) if isinstance(event, cls)]


def row_counts(runtime) -> dict[str, int]:
    tables = runtime.spec.metadata.tables
    with runtime.session_factory() as session:
        return {name: session.execute(select(func.count()).select_from(tables[name])).scalar_one()
                for name in COUNTED_TABLES}
