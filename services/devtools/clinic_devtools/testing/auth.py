"""Tokens for tests: one signing key per test run, published as a JWKS file.

Servers built in a test trust it through :func:`verifier`; services started as
processes through :func:`env` (``AUTH_JWKS_FILE``). ``metadata(...)`` is what a
call sends.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tempfile
from pathlib import Path

import grpc
from clinic_common.client import _Details
from clinic_common.identity import ALL_LOCATIONS, Role
from clinic_common.tokens import KeySet, TokenIssuer, TokenVerifier, generate_key

ISSUER = "clinic-dev"
AUDIENCE = "clinic-api"


@functools.cache
def _keys() -> tuple[dict, Path]:
    private, public = generate_key("test-key")
    folder = Path(tempfile.mkdtemp(prefix="clinic-auth-"))
    (folder / "jwks.json").write_text(json.dumps({"keys": [public]}))
    (folder / "signing.jwk").write_text(json.dumps(private))
    return private, folder


def issuer() -> TokenIssuer:
    return TokenIssuer(_keys()[0], issuer=ISSUER, audience=AUDIENCE)


def jwks_file() -> Path:
    return _keys()[1] / "jwks.json"


def signing_key_file() -> Path:
    return _keys()[1] / "signing.jwk"


def verifier() -> TokenVerifier:
    return TokenVerifier(KeySet(path=jwks_file()), issuer=ISSUER, audience=AUDIENCE)


def env() -> dict[str, str]:
    """Environment for a service process that trusts the test key."""
    return {"AUTH_JWKS_FILE": str(jwks_file()), "AUTH_ISSUER": ISSUER,
            "AUTH_AUDIENCE": AUDIENCE}


def token(*roles: Role | str, sub: str = "test-staff", locations=(ALL_LOCATIONS,),
          ttl: dt.timedelta = dt.timedelta(hours=1), now: dt.datetime | None = None) -> str:
    return issuer().issue(sub, [str(r) for r in roles], list(locations), ttl=ttl, now=now)


def metadata(*roles: Role | str, sub: str = "test-staff", locations=(ALL_LOCATIONS,)
             ) -> tuple[tuple[str, str], ...]:
    """Call metadata with a bearer token for ``roles`` at ``locations``."""
    return (("authorization", f"Bearer {token(*roles, sub=sub, locations=locations)}"),)


# Every staff role: what tests use when they test something other than access rules.
ALL_STAFF = tuple(r for r in Role if r != Role.SERVICE)


def authorized(channel: grpc.Channel, *roles: Role | str, sub: str = "test-staff",
               locations=(ALL_LOCATIONS,)) -> grpc.Channel:
    """``channel`` with a token for ``roles`` on every call that brings none of its own."""
    return grpc.intercept_channel(channel, _DefaultToken(token(*roles or ALL_STAFF, sub=sub,
                                                               locations=locations)))


class _DefaultToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, value: str):
        self.header = ("authorization", f"Bearer {value}")

    def _details(self, details):
        metadata = list(details.metadata or ())
        if not any(key == "authorization" for key, _ in metadata):
            metadata.append(self.header)
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else \
            _Details(details.method, details.timeout, metadata, details.credentials,
                     details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)


def probe_edge(database_url: str, domain: str = "probe.clinic.api"):
    """An API edge over a scratch database, for a server of hand-made test services."""
    from clinic_common.audit import AuditLog
    from clinic_common.clock import system_clock
    from clinic_common.db import make_engine, make_session_factory, new_metadata, platform_tables
    from clinic_common.edge import Edge

    metadata = new_metadata()
    tables = platform_tables(metadata)
    engine = make_engine(database_url)
    metadata.create_all(engine)
    return Edge(verifier(), AuditLog(make_session_factory(engine), tables["audit_log"]), domain,
                system_clock)
