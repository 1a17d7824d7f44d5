"""CloudEvents 1.0 in the Kafka protocol binding, binary content mode.

The Kafka value is the serialized protobuf event; the attributes travel as
``ce_*`` headers, with ``content-type: application/protobuf``, the correlation id
and, when there is one, the W3C ``traceparent`` so a trace can continue in the
consumer.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.protobuf.message import DecodeError, Message

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
CORRELATION_HEADER = "correlation_id"
TRACEPARENT_HEADER = "traceparent"


class MalformedEvent(ValueError):
    """A record that is not a well-formed event of a known type."""


@dataclass(frozen=True)
class Envelope:
    """One decoded event with its CloudEvents attributes."""

    id: str
    type: str
    source: str
    time: datetime
    message: Message
    correlation_id: str | None = None
    traceparent: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


def attributes(
    *, event_id: str, event_type: str, source: str, time: datetime,
    correlation_id: str | None, traceparent: str | None = None,
) -> dict[str, str]:
    """The header set of one event, as text."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event_id,
        "ce_type": event_type,
        "ce_source": source,
        "ce_time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "content-type": CONTENT_TYPE,
    }
    if correlation_id:
        headers[CORRELATION_HEADER] = correlation_id
    if traceparent:
        headers[TRACEPARENT_HEADER] = traceparent
    return headers


def to_kafka_headers(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers.items()]


def from_kafka_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in headers or []:
        try:
            result[key] = (value or b"").decode()
        except UnicodeDecodeError as exc:
            raise MalformedEvent(f"header {key!r} is not UTF-8") from exc
    return result


class EventRegistry:
    """Maps ``ce_type`` (the full protobuf message name) to its message class."""

    def __init__(self, *modules: types.ModuleType):
        self._classes: dict[str, type[Message]] = {}
        for module in modules:
            for name in module.DESCRIPTOR.message_types_by_name:
                cls = getattr(module, name)
                self._classes[cls.DESCRIPTOR.full_name] = cls

    def __contains__(self, event_type: str) -> bool:
        return event_type in self._classes

    def decode(self, value: bytes | None, headers: dict[str, str]) -> Envelope:
        """Parse one record; raise :class:`MalformedEvent` when it cannot be trusted."""
        missing = [h for h in ("ce_id", "ce_type", "ce_source", "ce_specversion") if not headers.get(h)]
        if missing:
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if headers["ce_specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported ce_specversion {headers['ce_specversion']!r}")
        if headers.get("content-type", CONTENT_TYPE) != CONTENT_TYPE:
            raise MalformedEvent(f"unsupported content-type {headers['content-type']!r}")
        event_type = headers["ce_type"]
        cls = self._classes.get(event_type)
        if cls is None:
            raise MalformedEvent(f"unknown ce_type {event_type!r}")
        message = cls()
        try:
            message.ParseFromString(value or b"")
        except DecodeError as exc:
            raise MalformedEvent(f"payload is not a valid {event_type}: {exc}") from exc
        try:
            time = datetime.fromisoformat(headers.get("ce_time", "").replace("Z", "+00:00"))
        except ValueError as exc:
            raise MalformedEvent(f"bad ce_time {headers.get('ce_time')!r}") from exc
        known = {"ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time", "content-type",
                 CORRELATION_HEADER, TRACEPARENT_HEADER}
        return Envelope(
            id=headers["ce_id"], type=event_type, source=headers["ce_source"], time=time,
            message=message, correlation_id=headers.get(CORRELATION_HEADER),
            traceparent=headers.get(TRACEPARENT_HEADER),
            extra_headers={k: v for k, v in headers.items() if k not in known},
        )
