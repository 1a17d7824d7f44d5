"""Per-call context carried across threads of one request: correlation id, deadline.

The gRPC interceptors set these; the outbox copies the correlation id and trace
context into event headers; the consumer restores them when handling an event.
"""

from __future__ import annotations

import contextvars
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)
traceparent: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "traceparent", default=None
)
deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str:
    """The correlation id of the work in progress, creating one if none is set."""
    value = correlation_id.get()
    if value is None:
        value = new_correlation_id()
        correlation_id.set(value)
    return value


def time_remaining() -> float | None:
    """Seconds left before the caller's deadline, or None when there is none."""
    value = deadline.get()
    return None if value is None else max(0.0, value - time.monotonic())


@contextmanager
def bound(*, correlation: str | None, trace: str | None = None, remaining: float | None = None
          ) -> Iterator[None]:
    """Bind the call context for the duration of a block."""
    tokens = [
        (correlation_id, correlation_id.set(correlation or new_correlation_id())),
        (traceparent, traceparent.set(trace)),
        (deadline, deadline.set(None if remaining is None else time.monotonic() + remaining)),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
