"""The server interceptor chain: call context, logging, deadlines, error mapping.

Each link is a :class:`CallInterceptor` with one method, ``intercept``, so later
links (authentication, the PHI audit trail, metrics) slot in without touching
the others. :class:`Chain` adapts the list to gRPC's interceptor API for
unary-unary and unary-stream methods.
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from clinic_common import context as call_context
from clinic_common.errors import ClinicError

log = logging.getLogger("clinic.grpc")

ERROR_DOMAIN = "clinic.example"
CORRELATION_METADATA = "x-correlation-id"


@dataclass
class CallInfo:
    """What an interceptor knows of the call besides the request."""

    method: str  # "/clinic.intake.v1.IntakeService/CreatePatient"
    metadata: dict[str, str]
    streaming_response: bool

    @property
    def short_method(self) -> str:
        return self.method.rsplit("/", 1)[-1]


Proceed = Callable[[object, grpc.ServicerContext], object]


class CallInterceptor(abc.ABC):
    @abc.abstractmethod
    def intercept(self, call: CallInfo, request, context: grpc.ServicerContext,
                  proceed: Proceed):
        """Do work around ``proceed(request, context)`` and return its result."""


class CallContextInterceptor(CallInterceptor):
    """Binds correlation id, trace context and the caller's deadline for the call."""

    def intercept(self, call, request, context, proceed):
        correlation = call.metadata.get(CORRELATION_METADATA) or call_context.new_correlation_id()
        context.set_trailing_metadata(((CORRELATION_METADATA, correlation),))
        with call_context.bound(correlation=correlation, trace=call.metadata.get("traceparent"),
                                remaining=context.time_remaining()):
            result = proceed(request, context)
            if call.streaming_response:
                # Materialize inside the bound context so handlers see it while streaming.
                return iter(list(result))
            return result


class DeadlineInterceptor(CallInterceptor):
    """Refuses work whose caller has already given up."""

    def intercept(self, call, request, context, proceed):
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before the call started")
        return proceed(request, context)


class LoggingInterceptor(CallInterceptor):
    """One structured line per call: method, status, duration. Never the payload."""

    def intercept(self, call, request, context, proceed):
        started = time.perf_counter()
        code = "OK"
        try:
            return proceed(request, context)
        except ClinicError as exc:
            code = exc.code.name
            raise
        except Exception:
            code = _code_name(context) or "INTERNAL"
            raise
        finally:
            log.info("rpc", extra={
                "method": call.method, "code": code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)})


class ErrorMappingInterceptor(CallInterceptor):
    """Domain errors become google.rpc.Status with ErrorInfo; surprises become INTERNAL."""

    def intercept(self, call, request, context, proceed):
        try:
            return proceed(request, context)
        except ClinicError as exc:
            context.abort_with_status(rpc_status.to_status(to_status(exc)))
        except Exception:
            if _code_name(context):  # the handler aborted on purpose: keep its status
                raise
            correlation = call_context.current_correlation_id()
            log.exception("unexpected error", extra={"method": call.method})
            context.abort_with_status(rpc_status.to_status(status_pb2.Status(
                code=code_pb2.INTERNAL,
                message=f"internal error; correlation id {correlation}",
                details=[_pack(error_details_pb2.ErrorInfo(
                    reason="INTERNAL", domain=ERROR_DOMAIN,
                    metadata={"correlation_id": correlation}))],
            )))


def to_status(error: ClinicError) -> status_pb2.Status:
    details = [_pack(error_details_pb2.ErrorInfo(
        reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata))]
    field = getattr(error, "field", None)
    if field:
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=error.message)])))
    return status_pb2.Status(code=error.code.value[0], message=error.message, details=details)


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _code_name(context) -> str | None:
    try:
        code = context.code()
    except Exception:  # noqa: BLE001 - older grpc contexts lack code()
        return None
    if code is None or code == grpc.StatusCode.OK:
        return None
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


def default_chain() -> list[CallInterceptor]:
    """Outermost first. Auth and audit links go between deadline and error mapping."""
    return [CallContextInterceptor(), LoggingInterceptor(), DeadlineInterceptor(),
            ErrorMappingInterceptor()]


class Chain(grpc.ServerInterceptor):
    """Runs a list of :class:`CallInterceptor` around every unary-request method."""

    def __init__(self, links: list[CallInterceptor]):
        self.links = links

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.request_streaming:
            return handler
        method = handler_call_details.method
        if method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return handler
        metadata = {m.key: m.value for m in handler_call_details.invocation_metadata or ()
                    if isinstance(m.value, str)}
        streaming = handler.response_streaming
        behaviour = handler.unary_stream if streaming else handler.unary_unary
        call = CallInfo(method=method, metadata=metadata, streaming_response=streaming)
        wrapped = self._compose(call, behaviour)
        factory = grpc.unary_stream_rpc_method_handler if streaming else \
            grpc.unary_unary_rpc_method_handler
        return factory(wrapped, request_deserializer=handler.request_deserializer,
                       response_serializer=handler.response_serializer)

    def _compose(self, call: CallInfo, behaviour: Proceed) -> Proceed:
        proceed = behaviour
        for link in reversed(self.links):
            proceed = _bind(link, call, proceed)
        return proceed


def _bind(link: CallInterceptor, call: CallInfo, proceed: Proceed) -> Proceed:
    def run(request, context):
        return link.intercept(call, request, context, proceed)
    return run
