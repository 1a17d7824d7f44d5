"""The server interceptor chain every service shares.

Outermost first: call context (correlation id, trace, deadline), the trace span,
metrics, logging, error
mapping, deadline, identity (a verified bearer token), access (the method's
rule, with the PHI audit trail), input bounds, then the servicer. Each link is a
:class:`CallInterceptor` with one method; :class:`Chain` adapts the list to
gRPC's interceptor API for unary-request methods.
"""

from __future__ import annotations

import abc
import collections
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.trace import SpanKind

from clinic_common import audit, identity, tracing
from clinic_common import context as call_context
from clinic_common.access import Rule
from clinic_common.errors import (
    ClinicError,
    FieldViolation,
    InvalidArgument,
    Kind,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from clinic_common.tokens import InvalidToken, TokenVerifier

log = logging.getLogger("clinic.grpc")

CORRELATION_METADATA = "x-correlation-id"
AUTHORIZATION_METADATA = "authorization"
MAX_MESSAGE_CHARS = 1000
UNTRUSTED = ("/grpc.health.", "/grpc.reflection.")


@dataclass
class CallInfo:
    """What an interceptor knows of the call besides the request."""

    method: str  # "/clinic.intake.v1.IntakeService/CreatePatient"
    metadata: dict[str, str]
    streaming_response: bool
    # Set by the identity link once the token is verified, for the links around it.
    principal: identity.Principal | None = None

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
        correlation = _clean_id(call.metadata.get(CORRELATION_METADATA)) or \
            call_context.new_correlation_id()
        context.set_trailing_metadata(((CORRELATION_METADATA, correlation),))
        with call_context.bound(correlation=correlation, trace=call.metadata.get("traceparent"),
                                remaining=context.time_remaining()):
            return proceed(request, context)


class TracingInterceptor(CallInterceptor):
    """A server span per call, child of the caller's ``traceparent``; the call's work (its
    outbox events, its outgoing calls) carries this span's traceparent onwards."""

    def intercept(self, call, request, context, proceed):
        incoming = call_context.traceparent.get()
        service, _, method = call.method.lstrip("/").rpartition("/")
        with tracing.span(call.method.lstrip("/"), SpanKind.SERVER, parent=incoming,
                          attributes={"rpc.system": "grpc", "rpc.service": service,
                                      "rpc.method": method}) as span:
            token = call_context.traceparent.set(tracing.current_traceparent(incoming))
            code = "OK"
            try:
                result = proceed(request, context)
                code = _code_name(context) or "OK"
                return result
            except Exception:
                code = _code_name(context) or "INTERNAL"
                raise
            finally:
                call_context.traceparent.reset(token)
                if span.is_recording():
                    span.set_attribute("correlation_id", call_context.current_correlation_id())
                    tracing.set_code(span, code)


def _clean_id(value: str | None) -> str:
    """A correlation id from a client, if it is a short printable token."""
    if value and len(value) <= 64 and value.isascii() and value.isprintable() and " " not in value:
        return value
    return ""


class DeadlineInterceptor(CallInterceptor):
    """Refuses work whose caller has already given up."""

    def intercept(self, call, request, context, proceed):
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before the call started")
        return proceed(request, context)


class LoggingInterceptor(CallInterceptor):
    """One structured line per call: method, status, who, duration. Never the payload."""

    def intercept(self, call, request, context, proceed):
        started = time.perf_counter()
        code = "OK"
        try:
            return proceed(request, context)
        except Exception:
            code = _code_name(context) or "INTERNAL"
            raise
        finally:
            log.info("rpc", extra={
                "method": call.method, "code": code,
                "actor": call.principal.subject if call.principal else "",
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)})


class ErrorMappingInterceptor(CallInterceptor):
    """Domain errors become google.rpc.Status with ErrorInfo; surprises become INTERNAL.

    Every refusal carries the correlation id, in ErrorInfo metadata and in the
    ``x-correlation-id`` trailer, so a support call can find the log line.
    """

    def __init__(self, domain: str):
        self.domain = domain

    def intercept(self, call, request, context, proceed):
        try:
            return proceed(request, context)
        except ClinicError as exc:
            if exc.kind == Kind.UNAUTHENTICATED:
                # Say nothing more than that: no hint at what was wrong with the token.
                exc = Unauthenticated("a valid bearer token is required")
            context.abort_with_status(self.status(exc))
        except Exception:
            if _code_name(context):  # the handler aborted on purpose: keep its status
                raise
            correlation = call_context.current_correlation_id()
            log.exception("unexpected error", extra={"method": call.method})
            context.abort_with_status(_with_correlation(rpc_status.to_status(status_pb2.Status(
                code=code_pb2.INTERNAL,
                message=f"internal error; correlation id {correlation}",
                details=[_pack(error_details_pb2.ErrorInfo(
                    reason="INTERNAL", domain=self.domain,
                    metadata={"correlation_id": correlation}))],
            ))))

    def status(self, error: ClinicError) -> grpc.Status:
        return _with_correlation(rpc_status.to_status(to_status(error, self.domain)))


def to_status(error: ClinicError, domain: str) -> status_pb2.Status:
    metadata = {**error.metadata, "correlation_id": call_context.current_correlation_id()}
    message = error.message if len(error.message) <= MAX_MESSAGE_CHARS else \
        error.message[:MAX_MESSAGE_CHARS] + "..."
    details = [_pack(error_details_pb2.ErrorInfo(
        reason=error.reason, domain=domain,
        metadata={k: v[:200] for k, v in metadata.items()}))]
    field = getattr(error, "field", None)
    if field:
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=message)])))
    if error.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromTimedelta(error.retry_after)
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return status_pb2.Status(code=getattr(grpc.StatusCode, error.kind.value).value[0],
                             message=message, details=details)


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")),
              grpc.Status):
    pass


def _with_correlation(status: grpc.Status) -> grpc.Status:
    trailer = (CORRELATION_METADATA, call_context.current_correlation_id())
    return _Status(status.code, status.details, (*status.trailing_metadata, trailer))


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


class IdentityInterceptor(CallInterceptor):
    """Verifies the bearer token and binds the caller's principal for the call.

    A refused token whose signature is good (expired, not yet valid, for another
    audience) names its holder: that refusal goes on the audit trail. Tokens
    nobody signed are only logged, so strangers cannot fill the trail.
    """

    def __init__(self, verifier: TokenVerifier, audit_log: audit.AuditLog,
                 clock: Callable[[], object]):
        self.verifier = verifier
        self.audit_log = audit_log
        self.clock = clock

    def intercept(self, call, request, context, proceed):
        header = call.metadata.get(AUTHORIZATION_METADATA, "")
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise InvalidToken("no bearer token")
            principal = self.verifier.verify(token.strip())
        except InvalidToken as exc:
            log.warning("unauthenticated call", extra={
                "method": call.method, "peer": context.peer(), "cause": str(exc)})
            if exc.subject:
                self._audit(call, context, request, exc)
            raise Unauthenticated("a valid bearer token is required") from None
        call.principal = principal
        with identity.acting_as(principal):
            return proceed(request, context)

    def _audit(self, call, context, request, exc: InvalidToken) -> None:
        holder = identity.Principal(exc.subject, frozenset(), token_id=exc.token_id)
        trail = _trail(holder, call, request, context, self.clock, self.audit_log.patient_names)
        try:
            self.audit_log.record(trail, Kind.UNAUTHENTICATED.value,
                                  f"TOKEN_{_reason(str(exc))}")
        except Exception:  # the refusal stands
            log.exception("audit row of a refused token not written")


def _trail(principal, call: CallInfo, request, context, clock,
           patient_names) -> audit.AuditTrail:
    """The audit trail of a call, with the record and patients its request names."""
    trail = audit.AuditTrail(principal, call.method, call_context.current_correlation_id(),
                             context.peer() or "", clock)
    if isinstance(request, Message):
        trail.record = audit.addressed(request)
        _add_subjects(trail, request, patient_names)
    return trail


def _add_subjects(trail: audit.AuditTrail, message, patient_names) -> None:
    if isinstance(message, Message):
        for patient_id, record in audit.subjects_in(message, patient_names):
            trail.add(patient_id, record)


def _reason(cause: str) -> str:
    return {"ExpiredSignatureError": "EXPIRED", "ImmatureSignatureError": "NOT_YET_VALID",
            "InvalidAudienceError": "WRONG_AUDIENCE",
            "InvalidIssuerError": "WRONG_ISSUER"}.get(cause, "INVALID")


class AccessInterceptor(CallInterceptor):
    """Applies the method's rule and keeps the PHI audit trail of the call.

    A method without a rule is refused (fail closed). Calls of methods that touch
    patient data are audited whatever their outcome; a refused call of any
    method is audited too.
    """

    def __init__(self, rules: Mapping[str, Rule], audit_log: audit.AuditLog,
                 clock: Callable[[], object]):
        self.rules = rules
        self.audit_log = audit_log
        self.clock = clock

    def intercept(self, call, request, context, proceed):
        principal = identity.current()
        trail = _trail(principal, call, request, context, self.clock,
                       self.audit_log.patient_names)
        rule = self.rules.get(call.method)
        try:
            if rule is None:
                raise PermissionDenied("this method has no access rule", reason="NO_ACCESS_RULE")
            location, refusal = rule.refusal(principal, request)
            trail.location_id = location if location != "*" else ""
            if refusal is not None:
                raise refusal
        except ClinicError as exc:
            self._write_refusal(trail, exc)
            raise
        if not rule.phi:
            return proceed(request, context)
        return self._audited(rule, trail, call, request, context, proceed)

    def _audited(self, rule, trail, call, request, context, proceed):
        with audit.recording(trail):
            try:
                response = proceed(request, context)
            except ClinicError as exc:
                self._write_refusal(trail, exc)
                raise
            except Exception:
                self._record_refusal(trail, _code_name(context) or "INTERNAL")
                raise
        if call.streaming_response:
            response = list(response)
        if rule.audit_response:
            for item in response if call.streaming_response else [response]:
                _add_subjects(trail, item, self.audit_log.patient_names)
        try:
            self.audit_log.record(trail, audit.OK)
        except Exception:
            log.exception("audit row not written; the response is withheld",
                          extra={"method": call.method})
            raise Unavailable("the access could not be recorded; try again",
                              reason="AUDIT_UNAVAILABLE") from None
        return iter(response) if call.streaming_response else response


    def _write_refusal(self, trail: audit.AuditTrail, exc: ClinicError) -> None:
        self._record_refusal(trail, exc.kind.value, exc.reason)

    def _record_refusal(self, trail: audit.AuditTrail, outcome: str, reason: str = "") -> None:
        try:
            self.audit_log.record(trail, outcome, reason)
        except Exception:  # the refusal stands; the missing row is an error to look at
            log.exception("audit row of a refused call not written")


# Characters no text field may hold: C0/C1 controls other than tab and line breaks, and
# the bidirectional overrides that make text read differently from how it is stored.
_FORBIDDEN = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | \
    {chr(c) for c in range(0x7F, 0xA0)} | set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class BoundsInterceptor(CallInterceptor):
    """Refuses requests with text longer than ``max_text``, lists longer than ``max_items``,
    or control and bidirectional-override characters in text."""

    def __init__(self, max_text: int, max_items: int):
        self.max_text = max_text
        self.max_items = max_items

    def intercept(self, call, request, context, proceed):
        if isinstance(request, Message):
            self._check(request, "", 0)
        return proceed(request, context)

    def _check(self, message: Message, prefix: str, depth: int) -> None:
        if depth > 32:
            raise InvalidArgument("the request is nested too deeply", reason="REQUEST_TOO_DEEP")
        for fd, value in message.ListFields():
            path = f"{prefix}{fd.name}"
            if fd.is_repeated:
                if len(value) > self.max_items:
                    raise FieldViolation(path, f"has more than {self.max_items} items",
                                         reason="TOO_MANY_ITEMS")
                items = value.values() if fd.message_type is not None and \
                    fd.message_type.GetOptions().map_entry else value
            else:
                items = [value]
            for item in items:
                self._check_value(fd, item, path, depth)

    def _check_value(self, fd: FieldDescriptor, value, path: str, depth: int) -> None:
        if isinstance(value, Message):
            self._check(value, f"{path}.", depth + 1)
        elif isinstance(value, str):  # bytes (a file) are bounded by max_message_bytes
            if len(value) > self.max_text:
                raise FieldViolation(path, f"is longer than {self.max_text} characters",
                                     reason="FIELD_TOO_LONG")
            if isinstance(value, str) and not _FORBIDDEN.isdisjoint(value):
                raise FieldViolation(path, "holds control or direction-override characters",
                                     reason="FORBIDDEN_CHARACTERS")


class _Undecodable:
    """Stands for request bytes that do not parse as the method's request message."""


class DecodedInterceptor(CallInterceptor):
    """gRPC answers INTERNAL (and logs a traceback) for request bytes that do not parse;
    the chain gets a marker instead (see ``_tolerant``) and refuses it here."""

    def intercept(self, call, request, context, proceed):
        if isinstance(request, _Undecodable):
            raise InvalidArgument("the request bytes are not a valid message for this method",
                                  reason="MALFORMED_REQUEST")
        return proceed(request, context)


class Chain(grpc.ServerInterceptor):
    """Runs a list of :class:`CallInterceptor` around every unary-request method."""

    def __init__(self, links: list[CallInterceptor]):
        self.links = links

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(UNTRUSTED):
            return handler
        if handler.request_streaming:  # the chain cannot see into a stream: not served
            return _refused(handler)
        metadata = {m.key: m.value for m in handler_call_details.invocation_metadata or ()
                    if isinstance(m.value, str)}
        streaming = handler.response_streaming
        behaviour = handler.unary_stream if streaming else handler.unary_unary
        call = CallInfo(method=method, metadata=metadata, streaming_response=streaming)
        wrapped = self._compose(call, _materialized(behaviour, streaming))
        factory = grpc.unary_stream_rpc_method_handler if streaming else \
            grpc.unary_unary_rpc_method_handler
        return factory(wrapped, request_deserializer=_tolerant(handler.request_deserializer),
                       response_serializer=handler.response_serializer)

    def _compose(self, call: CallInfo, behaviour: Proceed) -> Proceed:
        proceed = behaviour
        for link in reversed(self.links):
            proceed = _bind(link, call, proceed)
        return proceed


def _refused(handler):
    def refuse(request_iterator, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "streaming requests are not served")

    factory = grpc.stream_stream_rpc_method_handler if handler.response_streaming else \
        grpc.stream_unary_rpc_method_handler
    return factory(refuse, request_deserializer=handler.request_deserializer,
                   response_serializer=handler.response_serializer)


def _tolerant(deserialize):
    """Request bytes that do not parse become a marker the chain refuses."""
    if deserialize is None:
        return None

    def run(data):
        try:
            return deserialize(data)
        except Exception:  # noqa: BLE001 - any parse failure is the client's
            return _Undecodable()
    return run


def _materialized(behaviour: Proceed, streaming: bool) -> Proceed:
    def run(request, context):
        result = behaviour(request, context)
        # Materialize a stream inside the chain, so every link sees the call's context.
        return iter(list(result)) if streaming else result
    return run


def _bind(link: CallInterceptor, call: CallInfo, proceed: Proceed) -> Proceed:
    def run(request, context):
        return link.intercept(call, request, context, proceed)
    return run
