"""OpenTelemetry spans for calls served and made, events published and consumed.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (:func:`configure`): the API's
no-op tracer then makes spans that record nothing, and the incoming
``traceparent`` passes through unchanged. When on, spans go to the OTLP
collector over gRPC (the standard ``OTEL_*`` variables apply: service name,
headers, sampler).

The trace crosses Kafka in the event's ``traceparent`` header: the outbox
stores the traceparent of the span that committed the event, the relay's
producer span and each consumer's span are its children, so a call and the
work its events cause in other services share one trace.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()

# The environment variables that shape tracing: read here or by the SDK and the OTLP
# exporter configured below (deployment files may set only these OTEL_* names).
SETTINGS = frozenset({
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_EXPORT_TIMEOUT",
})
_configured = False


def configure(service: str) -> bool:
    """Export spans over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; True if so."""
    global _configured
    if _configured or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured
    # Imported here: a process that does not export never loads the SDK or the exporter.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or f"clinic-{service}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    log.info("exporting traces", extra={"endpoint": os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]})
    return True


def tracer() -> trace.Tracer:
    return trace.get_tracer("clinic")


def _parent(traceparent: str | None) -> otel_context.Context | None:
    return _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None


def current_traceparent(fallback: str | None = None) -> str | None:
    """The W3C traceparent of the current span, or ``fallback`` when no span records."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent") or fallback


@contextmanager
def span(name: str, kind: SpanKind, parent: str | None = None,
         attributes: dict | None = None) -> Iterator[trace.Span]:
    """A span named ``name`` whose parent is the ``parent`` traceparent (else the current
    span); an exception marks it failed and goes on."""
    with tracer().start_as_current_span(name, context=_parent(parent), kind=kind,
                                        attributes=attributes or {},
                                        record_exception=True,
                                        set_status_on_exception=True) as current:
        yield current


def start_span(name: str, kind: SpanKind, parent: str | None = None,
               attributes: dict | None = None) -> trace.Span:
    """A span the caller ends, not made current (for several at once, e.g. a batch)."""
    return tracer().start_span(name, context=_parent(parent) or otel_context.Context(),
                               kind=kind, attributes=attributes or {})


@contextmanager
def consuming(event_type: str, event_id: str, traceparent: str | None,
              consumer: str) -> Iterator[str | None]:
    """The consumer span of one event, child of the event's traceparent; yields the
    traceparent the handling carries on (into the events it writes)."""
    with span(f"process {event_type}", SpanKind.CONSUMER, parent=traceparent,
              attributes={"messaging.system": "kafka", "messaging.message.id": event_id,
                          "messaging.consumer.group.name": consumer}):
        yield current_traceparent(traceparent)


def set_code(current: trace.Span, code: str) -> None:
    """Record a gRPC status code on a span; anything but OK is an error."""
    current.set_attribute("rpc.grpc.status_code", code)
    if code != "OK":
        current.set_status(Status(StatusCode.ERROR, code))
