"""Outgoing gRPC calls that carry the current call's deadline, correlation and trace.

A service calling another inside a call uses :func:`connect`: the callee never
gets more time than the caller has left, and the logs of both share one
correlation id.
"""

from __future__ import annotations

import collections

import grpc

from clinic_common import context
from clinic_common.interceptors import CORRELATION_METADATA


class _Details(collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                     "compression")), grpc.ClientCallDetails):
    pass


class PropagatingInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def _details(self, details):
        remaining = context.time_remaining()
        timeout = details.timeout
        if remaining is not None:
            timeout = remaining if timeout is None else min(timeout, remaining)
        metadata = [m for m in (details.metadata or [])
                    if m[0] not in (CORRELATION_METADATA, "traceparent")]
        metadata.append((CORRELATION_METADATA, context.current_correlation_id()))
        if trace := context.traceparent.get():
            metadata.append(("traceparent", trace))
        return _Details(details.method, timeout, metadata, details.credentials,
                        details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)


def connect(address: str, *, options: list | None = None) -> grpc.Channel:
    """An insecure channel whose calls propagate the current call's context."""
    return grpc.intercept_channel(grpc.insecure_channel(address, options=options),
                                  PropagatingInterceptor())
