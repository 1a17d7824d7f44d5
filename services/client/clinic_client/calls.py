"""Calls by name over one service's channel: deadline, safe retries, paging, plain refusals.

Methods are looked up by their full name in the generated code's descriptor pool
at run time (``clinic.intake.v1.IntakeService/CreatePatient``), so a wrapper
written against a method keeps working when other services of the same process
are renamed or split, and a service's new methods need no client release.

Retries are safe only where repeating changes nothing twice: a call that never
reached the service (UNAVAILABLE), and a refusal the service marks retryable
with ``google.rpc.RetryInfo``. A mutating request gets one ``request_id`` before
the first try and keeps it on every retry, so the service answers a repeat with
the first result (AIP-155).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

PACKAGES = ("clinic.intake.v1", "clinic.scheduling.v1", "clinic.billing.v1", "clinic.audit.v1")
DEFAULT_DEADLINE = 10.0


@dataclass
class Refusal(Exception):
    """The service answered with an error: its code, reason, message and correlation id."""

    code: str
    message: str
    reason: str = ""
    correlation_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[tuple[str, str]] = field(default_factory=list)
    retry_after: float | None = None

    def __str__(self) -> str:
        words = f"{self.message} ({self.reason or self.code})"
        return f"{words}; correlation id {self.correlation_id}" if self.correlation_id else words

    @classmethod
    def from_error(cls, error: grpc.RpcError) -> Refusal:
        code = error.code().name if error.code() else "UNKNOWN"
        refusal = cls(code=code, message=error.details() or code)
        for key, value in error.trailing_metadata() or ():
            if key == "x-correlation-id":
                refusal.correlation_id = value
        status = rpc_status.from_call(error)
        for detail in status.details if status else ():
            for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo,
                         error_details_pb2.BadRequest):
                if detail.Is(kind.DESCRIPTOR):
                    item = kind()
                    detail.Unpack(item)
                    _take(refusal, item)
        return refusal


def _take(refusal: Refusal, item) -> None:
    if isinstance(item, error_details_pb2.ErrorInfo):
        refusal.reason = item.reason
        refusal.metadata = dict(item.metadata)
        refusal.correlation_id = refusal.correlation_id or item.metadata.get("correlation_id", "")
    elif isinstance(item, error_details_pb2.RetryInfo):
        refusal.retry_after = item.retry_delay.ToTimedelta().total_seconds()
    else:
        refusal.field_violations = [(v.field, v.description) for v in item.field_violations]


class Unreachable(Refusal):
    """The service did not answer (UNAVAILABLE or DEADLINE_EXCEEDED) after the retries."""


_LOADED: set[str] = set()


def _load(package: str) -> None:
    """Import every generated module of ``package`` so its services are in the pool."""
    if package in _LOADED:
        return
    try:
        module = importlib.import_module(package)
    except ImportError:
        return
    for info in pkgutil.iter_modules(module.__path__):
        if info.name.endswith("_pb2"):
            importlib.import_module(f"{package}.{info.name}")
    _LOADED.add(package)


def method_types(full_method: str) -> tuple[type[Message], type[Message], bool]:
    """Request and response classes of ``pkg.Service/Method``, and whether it streams."""
    service_name, _, method_name = full_method.lstrip("/").partition("/")
    _load(service_name.rsplit(".", 1)[0])
    service = descriptor_pool.Default().FindServiceByName(service_name)
    method = service.methods_by_name[method_name]
    return (message_factory.GetMessageClass(method.input_type),
            message_factory.GetMessageClass(method.output_type), method.server_streaming)


class Caller:
    """Calls methods of one service over ``channel`` with a token, deadline and retries."""

    def __init__(self, channel: grpc.Channel, *, token: Callable[[], str] | None = None,
                 deadline: float = DEFAULT_DEADLINE, attempts: int = 4, backoff: float = 0.2,
                 sleep: Callable[[float], None] = time.sleep):
        self.channel = channel
        self.token = token
        self.deadline = deadline
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    def request(self, full_method: str, **fields) -> Message:
        """A request message of the method, filled from ``fields``."""
        return method_types(full_method)[0](**fields)

    def call(self, full_method: str, request: Message | None = None, **fields) -> Message:
        request_class, response_class, streaming = method_types(full_method)
        request = request if request is not None else request_class(**fields)
        if "request_id" in request.DESCRIPTOR.fields_by_name and not request.request_id:
            request.request_id = str(uuid.uuid4())  # kept on every retry below
        invoke = (self.channel.unary_stream if streaming else self.channel.unary_unary)(
            "/" + full_method.lstrip("/"), request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString)
        metadata = [("authorization", f"Bearer {self.token()}")] if self.token else []
        for attempt in range(1, self.attempts + 1):
            try:
                result = invoke(request, timeout=self.deadline, metadata=metadata)
                return list(result) if streaming else result
            except grpc.RpcError as error:
                refusal = Refusal.from_error(error)
                if attempt == self.attempts or not self._retryable(refusal):
                    raise self._final(refusal) from None
                self.sleep(refusal.retry_after if refusal.retry_after is not None
                           else self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    @staticmethod
    def _retryable(refusal: Refusal) -> bool:
        return refusal.code == "UNAVAILABLE" or refusal.retry_after is not None

    @staticmethod
    def _final(refusal: Refusal) -> Refusal:
        if refusal.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            return Unreachable(**vars(refusal))
        return refusal

    def pages(self, full_method: str, items: str, *, page_size: int = 100,
              **fields) -> Iterator[Message]:
        """Every item of a List method, page after page (``items``: the repeated field)."""
        token = ""
        while True:
            page = self.call(full_method, page_size=page_size, page_token=token, **fields)
            yield from getattr(page, items)
            token = page.next_page_token
            if not token:
                return
