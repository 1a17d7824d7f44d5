"""CloudEvents binary mode: what goes on the wire and what is refused on the way in."""

from datetime import UTC, datetime

import pytest
from clinic.intake.v1 import events_pb2
from clinic_common import envelope


def _headers(**overrides) -> dict[str, str]:
    headers = envelope.attributes(
        event_id="e-1", event_type="clinic.intake.v1.PatientRegistered", source="/clinic/intake",
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), correlation_id="c-1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v is not None}


REGISTRY = envelope.EventRegistry(events_pb2)


def test_headers_carry_the_cloudevents_attributes_and_correlation():
    headers = _headers()
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_time"] == "2026-01-02T03:04:05Z"
    assert headers["content-type"] == "application/protobuf"
    assert headers["correlation_id"] == "c-1"


def test_a_well_formed_record_decodes_to_its_message_and_context():
    value = events_pb2.PatientRegistered(patient_id="p1").SerializeToString()
    decoded = REGISTRY.decode(value, _headers())
    assert decoded.message.patient_id == "p1"
    assert (decoded.id, decoded.source, decoded.correlation_id) == ("e-1", "/clinic/intake", "c-1")
    assert decoded.traceparent.startswith("00-0af7")
    assert decoded.time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_source", "ce_specversion"])
def test_a_record_without_a_required_attribute_is_malformed(missing):
    headers = _headers()
    del headers[missing]
    with pytest.raises(envelope.MalformedEvent, match=missing):
        REGISTRY.decode(b"", headers)


def test_a_payload_that_is_not_the_declared_type_is_malformed():
    with pytest.raises(envelope.MalformedEvent, match="not a valid"):
        REGISTRY.decode(b"\xff\xff\xff\xff", _headers())


def test_other_content_types_and_spec_versions_are_refused():
    with pytest.raises(envelope.MalformedEvent, match="content-type"):
        REGISTRY.decode(b"", _headers(**{"content-type": "application/json"}))
    with pytest.raises(envelope.MalformedEvent, match="specversion"):
        REGISTRY.decode(b"", _headers(ce_specversion="0.3"))


def test_kafka_headers_round_trip_as_utf8():
    headers = _headers()
    assert envelope.from_kafka_headers(envelope.to_kafka_headers(headers)) == headers
    with pytest.raises(envelope.MalformedEvent):
        envelope.from_kafka_headers([("ce_id", b"\xff")])
