"""Builders shared by scheduling's tests: events as intake sends them, a settable clock."""

from __future__ import annotations

import datetime as dt
import uuid

from clinic_common import envelope
from clinic_common.consumer import Record
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

PACIFIC = dt.timezone(dt.timedelta(hours=-8))  # PST, for winter dates in tests


class FakeClock:
    """A clock a test moves by hand."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


def intake_record(message: Message, *, event_id: str | None = None, key: str = "p",
                  offset: int = 0) -> Record:
    """A Kafka record carrying ``message`` the way intake's relay publishes it."""
    headers = envelope.attributes(
        event_id=event_id or str(uuid.uuid4()), event_type=message.DESCRIPTOR.full_name,
        source="/clinic/intake", time=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
        correlation_id="c-test")
    return Record(topic="clinic.intake.v1", partition=0, offset=offset, key=key.encode(),
                  value=message.SerializeToString(), headers=envelope.to_kafka_headers(headers))


def reason(error) -> str:
    """The ErrorInfo reason of a failed gRPC call."""
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(error).details[0].Unpack(info)
    return info.reason
