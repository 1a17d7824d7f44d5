"""Outgoing gRPC calls: the caller's deadline, correlation and trace go along (in a client
span), with a bearer token, over TLS when configured.

A service calling another inside a call uses :func:`connect`: the callee never
gets more time than the caller has left, the logs of both share one correlation
id, and the callee sees the calling service's own identity
(:class:`ServiceTokens`).
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
from collections.abc import Callable

import grpc
from opentelemetry.trace import SpanKind

from clinic_common import context, tracing
from clinic_common.config import TlsSettings
from clinic_common.interceptors import AUTHORIZATION_METADATA, CORRELATION_METADATA
from clinic_common.tokens import TokenIssuer

TokenSource = Callable[[], str]


class _Details(collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                     "compression")), grpc.ClientCallDetails):
    pass


class PropagatingInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, token: TokenSource | None = None):
        self.token = token

    def _details(self, details, trace: str | None):
        remaining = context.time_remaining()
        timeout = details.timeout
        if remaining is not None:
            timeout = remaining if timeout is None else min(timeout, remaining)
        replaced = {CORRELATION_METADATA, "traceparent"}
        if self.token is not None:
            replaced.add(AUTHORIZATION_METADATA)
        metadata = [m for m in (details.metadata or []) if m[0] not in replaced]
        metadata.append((CORRELATION_METADATA, context.current_correlation_id()))
        if trace:
            metadata.append(("traceparent", trace))
        if self.token is not None:
            metadata.append((AUTHORIZATION_METADATA, f"Bearer {self.token()}"))
        return _Details(details.method, timeout, metadata, details.credentials,
                        details.wait_for_ready, details.compression)

    def _call(self, continuation, details, request):
        method = details.method.lstrip("/")
        incoming = context.traceparent.get()
        with tracing.span(method, SpanKind.CLIENT, parent=incoming,
                          attributes={"rpc.system": "grpc"}) as span:
            outcome = continuation(self._details(details, tracing.current_traceparent(incoming)),
                                   request)
            if span.is_recording() and hasattr(outcome, "code") and outcome.done():
                code = outcome.code()
                tracing.set_code(span, code.name if code is not None else "OK")
            return outcome

    def intercept_unary_unary(self, continuation, details, request):
        return self._call(continuation, details, request)

    def intercept_unary_stream(self, continuation, details, request):
        return self._call(continuation, details, request)


def connect(address: str, *, token: TokenSource | None = None, tls: TlsSettings | None = None,
            options: list | None = None) -> grpc.Channel:
    """A channel whose calls carry the current call's context and ``token``.

    With ``tls`` enabled (or a CA file given) the channel is TLS, trusting
    ``tls.ca_file`` (system roots when unset) and presenting ``tls.cert_file`` as
    the client certificate for mutual TLS.
    """
    if tls is not None and (tls.enabled or tls.ca_file):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=tls.ca_file.read_bytes() if tls.ca_file else None,
            private_key=tls.key_file.read_bytes() if tls.key_file else None,
            certificate_chain=tls.cert_file.read_bytes() if tls.cert_file else None)
        channel = grpc.secure_channel(address, credentials, options=options)
    else:
        channel = grpc.insecure_channel(address, options=options)
    return grpc.intercept_channel(channel, PropagatingInterceptor(token))


def static_token(token: str) -> TokenSource:
    return lambda: token


class ServiceTokens:
    """A service's own short-lived tokens, minted with its key and renewed before expiry."""

    def __init__(self, issuer: TokenIssuer, service: str,
                 ttl: dt.timedelta = dt.timedelta(minutes=10)):
        self.issuer = issuer
        self.service = service
        self.ttl = ttl
        self._lock = threading.Lock()
        self._token = ""
        self._renew_at = dt.datetime.min.replace(tzinfo=dt.UTC)

    def __call__(self) -> str:
        with self._lock:
            now = dt.datetime.now(dt.UTC)
            if now >= self._renew_at:
                self._token = self.issuer.service_token(self.service, self.ttl)
                self._renew_at = now + self.ttl / 2
            return self._token
