"""The API edge of one service: its interceptor chain, built from its parts.

Every call passes, outermost first: call context, trace span, metrics, logging, error mapping,
deadline, decoding, identity, access with the audit trail, input bounds. A
service adds methods and their rules; it writes none of this itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic_common.access import Rule
from clinic_common.audit import AuditLog
from clinic_common.config import AuthSettings, ConfigurationError
from clinic_common.interceptors import (
    AccessInterceptor,
    BoundsInterceptor,
    CallContextInterceptor,
    CallInterceptor,
    DeadlineInterceptor,
    DecodedInterceptor,
    ErrorMappingInterceptor,
    IdentityInterceptor,
    LoggingInterceptor,
    TracingInterceptor,
)
from clinic_common.metrics import MetricsInterceptor
from clinic_common.tokens import KeySet, TokenVerifier


@dataclass
class Edge:
    """What the chain needs: who to trust, where to audit, how to name errors, the clock."""

    verifier: TokenVerifier
    audit_log: AuditLog
    error_domain: str
    clock: Callable[[], dt.datetime]
    max_text: int = 10_000
    max_items: int = 1_000
    # Method path -> rule; filled as services are added to the host.
    rules: dict[str, Rule] = field(default_factory=dict)

    def links(self) -> list[CallInterceptor]:
        return [CallContextInterceptor(), TracingInterceptor(), MetricsInterceptor(),
                LoggingInterceptor(),
                ErrorMappingInterceptor(self.error_domain), DeadlineInterceptor(),
                DecodedInterceptor(),
                IdentityInterceptor(self.verifier, self.audit_log, self.clock),
                AccessInterceptor(self.rules, self.audit_log, self.clock),
                BoundsInterceptor(self.max_text, self.max_items)]


def verifier_from(auth: AuthSettings, data_dir: Path) -> TokenVerifier:
    """The token verifier the settings describe; ConfigurationError when it has no keys."""
    path = auth.jwks_path(data_dir)
    try:
        keys = KeySet(path=path)
    except FileNotFoundError:
        raise ConfigurationError(
            f"no token verification keys at {path}: set AUTH_JWKS_FILE to the identity "
            "provider's key set, or run `clinic-token keygen` for local use") from None
    except ValueError as exc:
        raise ConfigurationError(f"AUTH_JWKS_FILE {path}: {exc}") from None
    return TokenVerifier(keys, issuer=auth.issuer, audience=auth.audience,
                         leeway_seconds=auth.leeway_seconds,
                         max_lifetime_seconds=auth.max_token_lifetime_seconds)
