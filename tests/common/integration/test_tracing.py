"""Traces across a call and the events it causes: intake's call, its relay, billing's consumer."""

import uuid

import pytest
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
from clinic.intake.v1 import patient_pb2
from clinic_common.client import connect, static_token
from clinic_common.consumer import Record
from clinic_common.envelope import to_kafka_headers
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans():
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def test_a_calls_trace_id_is_on_the_consumer_span_of_the_event_it_caused(spans, tmp_path):
    with running("intake", f"sqlite:///{tmp_path}/intake.db") as intake, \
            running("billing", f"sqlite:///{tmp_path}/billing.db") as billing:
        channel = connect(intake.address, token=static_token(auth.token(Role.FRONT_DESK)))
        patient = patient_pb2.Patient(given_name="Trace", family_name=uuid.uuid4().hex[:8])
        patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = \
            1980, 1, 2
        intake_grpc.IntakeServiceStub(channel).CreatePatient(
            intake_pb.CreatePatientRequest(patient=patient))
        channel.close()
        intake.runtime.relay.publish_pending()
        processor = billing.runtime.processor()
        for offset, (topic, key, value, headers) in enumerate(
                intake.runtime.publisher.records):
            assert processor.process(Record(topic, 0, offset, key.encode(), value,
                                            to_kafka_headers(headers))) == "handled"

    finished = spans.get_finished_spans()
    [client] = [s for s in finished if s.kind == SpanKind.CLIENT]
    [server] = [s for s in finished if s.kind == SpanKind.SERVER]
    assert server.parent.span_id == client.context.span_id
    trace_id = client.context.trace_id
    producers = [s for s in finished if s.kind == SpanKind.PRODUCER]
    consumers = [s for s in finished if s.kind == SpanKind.CONSUMER]
    assert producers and consumers
    assert {s.context.trace_id for s in producers + consumers} == {trace_id}
    assert all(s.parent.span_id == server.context.span_id for s in consumers)
