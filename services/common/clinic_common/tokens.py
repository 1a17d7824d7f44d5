"""Bearer tokens: signed JWTs naming a staff member (or a service), roles and locations.

An identity provider issues them in production; ``clinic-token`` issues them for
local use and tests. The services only verify: they hold public keys as a JSON
Web Key Set, several at once, each with its ``kid``, so a new signing key can be
published before it is used and an old one withdrawn after its tokens expired.

Claims every token carries (see README "Identity"):

  iss, aud      the configured issuer and audience
  sub           the staff id (or ``service:<name>``)
  iat, exp      issue and expiry time; a lifetime over the configured maximum is refused
  roles         list of role names (FRONT_DESK, NURSE, PROVIDER, TMS_TECHNICIAN, BILLING,
                OPS, ADMIN, SERVICE)
  locations     list of location ids the holder acts at, or ["*"]
  jti           optional token id, recorded in the audit trail

A key in the set may be bound to one service (the JWK member ``clinic_service``):
it then signs only that service's own tokens, so a service's key cannot mint a
staff member's token. Keys without it are the identity provider's.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import jwt
from jwt.algorithms import OKPAlgorithm

from clinic_common.identity import ALL_LOCATIONS, LOCATION, SUBJECT, Principal, Role

log = logging.getLogger(__name__)

ALGORITHMS = ("EdDSA", "ES256", "RS256")
MAX_TOKEN_LENGTH = 8192
SERVICE_MEMBER = "clinic_service"


@dataclass(frozen=True)
class VerificationKey:
    """A public key from the set, and the one service it is bound to (if any)."""

    jwk: jwt.PyJWK
    service: str = ""


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why, for the log only.

    ``subject`` is set when the signature is good but a claim is not (an expired
    token): the holder is known, so the refusal can be put on their record.
    """

    def __init__(self, message: str, *, subject: str = "", token_id: str = ""):
        super().__init__(message)
        self.subject = subject
        self.token_id = token_id


class KeySet:
    """Public verification keys by ``kid``, read from a JWKS file (re-read when it changes)
    or given as a JWKS document."""

    def __init__(self, *, path: Path | None = None, document: dict | None = None,
                 recheck_seconds: float = 10.0):
        if (path is None) == (document is None):
            raise ValueError("give a JWKS file or a JWKS document")
        self.path = path
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._mtime: float | None = None
        self._keys: dict[str, VerificationKey] = {}
        if document is not None:
            self._keys = parse_jwks(document)
        else:
            self._load()

    def _load(self) -> None:
        stat = self.path.stat()
        self._keys = parse_jwks(json.loads(self.path.read_text()))
        self._mtime = stat.st_mtime

    def get(self, kid: str) -> VerificationKey | None:
        if self.path is not None and time.monotonic() - self._checked > self.recheck_seconds:
            self._refresh()
        return self._keys.get(kid)

    def _refresh(self) -> None:
        with self._lock:
            self._checked = time.monotonic()
            try:
                if self.path.stat().st_mtime != self._mtime:
                    self._load()
                    log.info("verification keys reloaded", extra={"kids": sorted(self._keys)})
            except (OSError, ValueError, RecursionError) as exc:  # keep the keys we have; say so
                log.error("verification keys not reloaded",
                          extra={"path": str(self.path), "error": type(exc).__name__})

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)


def parse_jwks(document) -> dict[str, VerificationKey]:
    """The keys of a JWKS document by kid; every key needs a kid and a supported algorithm.
    Anything else about the document is a ValueError naming the key."""
    if not isinstance(document, dict) or not isinstance(document.get("keys", []), list):
        raise ValueError("a key set is an object with a list of keys")
    keys = {}
    for entry in document.get("keys", []):
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not kid or not isinstance(kid, str):
            raise ValueError("every key in the key set needs a kid")
        keys[kid] = _verification_key(kid, entry)
    if not keys:
        raise ValueError("the key set has no keys")
    return keys


def _verification_key(kid: str, entry: dict) -> VerificationKey:
    if "d" in entry:
        raise ValueError(f"key {kid!r} is a private key; publish only public keys")
    try:
        key = jwt.PyJWK(entry, algorithm=entry.get("alg") or _default_algorithm(entry))
    except (jwt.PyJWTError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"key {kid!r} is not a usable key: {type(exc).__name__}") from None
    if key.algorithm_name not in ALGORITHMS:
        raise ValueError(f"key {kid!r}: algorithm {key.algorithm_name} is not accepted")
    service = entry.get(SERVICE_MEMBER, "")
    if not isinstance(service, str):
        raise ValueError(f"key {kid!r}: {SERVICE_MEMBER} names one service")
    return VerificationKey(key, service)


def _default_algorithm(entry: dict) -> str:
    return {"OKP": "EdDSA", "EC": "ES256", "RSA": "RS256"}.get(entry.get("kty", ""), "")


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal`, or raises :class:`InvalidToken`.

    A token verified once is remembered until it expires, as long as the key that
    verified it is still the one published under its kid: a staff app sends the same
    token on every call, and checking a signature is most of what a call's identity
    costs.
    """

    CACHE_SIZE = 10_000

    def __init__(self, keys: KeySet, *, issuer: str, audience: str, leeway_seconds: float = 30,
                 max_lifetime_seconds: float = 12 * 3600):
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self.max_lifetime = max_lifetime_seconds
        # token -> (principal, kid, the key that verified it, expiry as a Unix time)
        self._verified: dict[str, tuple[Principal, str, VerificationKey, float]] = {}

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, kid, key, expires = remembered
            if time.time() < expires + self.leeway and self.keys.get(kid) is key:
                return principal
            self._verified.pop(token, None)
        principal, kid, key, expires = self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, kid, key, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, str, VerificationKey, float]:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("missing or oversized token")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed: {type(exc).__name__}") from None
        found = self.keys.get(kid) if isinstance(kid, str) else None
        if found is None:
            raise InvalidToken("unknown key id")
        key = found.jwk
        try:
            claims = jwt.decode(
                token, key, algorithms=[key.algorithm_name], audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except SIGNED_BUT_INVALID as exc:
            raise InvalidToken(type(exc).__name__, **_holder(token, key)) from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        principal = self._principal(claims)
        if found.service and principal != replace(Principal.service(found.service),
                                                  token_id=principal.token_id):
            raise InvalidToken("a service's key signed a token that is not that service's")
        return principal, kid, found, float(claims["exp"])

    def _principal(self, claims: dict) -> Principal:
        subject, roles, locations = claims["sub"], claims.get("roles"), claims.get("locations")
        if not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
            raise InvalidToken("malformed subject")
        if not all(isinstance(claims[c], int | float) and not isinstance(claims[c], bool)
                   for c in ("exp", "iat")):
            raise InvalidToken("exp and iat must be numbers", subject=subject)
        if claims["exp"] - claims["iat"] > self.max_lifetime + self.leeway:
            raise InvalidToken("lifetime longer than allowed", subject=subject)
        if not _strings(roles) or not _strings(locations):
            raise InvalidToken("roles and locations must be lists of strings")
        if any(loc != ALL_LOCATIONS and not LOCATION.fullmatch(loc) for loc in locations):
            raise InvalidToken("malformed location")
        known = frozenset(Role(r) for r in roles if r in Role.__members__)
        return Principal(subject, known, frozenset(locations), str(claims.get("jti", ""))[:64])


# pyjwt checks these claims only after the signature verified.
SIGNED_BUT_INVALID = (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError,
                      jwt.InvalidAudienceError, jwt.InvalidIssuerError)


def _holder(token: str, key: jwt.PyJWK) -> dict:
    """The subject and token id of a token whose signature is good."""
    claims = jwt.decode(token, key, algorithms=[key.algorithm_name], options={
        "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
        "verify_iss": False})
    subject = claims.get("sub")
    if not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
        return {}
    return {"subject": subject, "token_id": str(claims.get("jti", ""))[:64]}


def _strings(value) -> bool:
    return isinstance(value, list) and len(value) <= 64 and all(isinstance(v, str) for v in value)


class TokenIssuer:
    """Signs tokens with a private key (a JWK with ``kid``): for local use, tests and the
    services' own identities."""

    def __init__(self, private_jwk: dict, *, issuer: str, audience: str):
        self.kid = private_jwk["kid"]
        self.key = jwt.PyJWK(private_jwk, algorithm=private_jwk.get("alg") or
                             _default_algorithm(private_jwk))
        self.issuer = issuer
        self.audience = audience

    def issue(self, subject: str, roles: Iterable[str], locations: Iterable[str] = (),
              *, ttl: dt.timedelta = dt.timedelta(hours=8), now: dt.datetime | None = None,
              **extra) -> str:
        issued = now or dt.datetime.now(dt.UTC)
        claims = {"iss": self.issuer, "aud": self.audience, "sub": subject,
                  "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp()),
                  "roles": [str(r) for r in roles], "locations": list(locations),
                  "jti": uuid.uuid4().hex, **extra}
        return jwt.encode(claims, self.key.key, algorithm=self.key.algorithm_name,
                          headers={"kid": self.kid})

    def service_token(self, service: str, ttl: dt.timedelta = dt.timedelta(minutes=10)) -> str:
        principal = Principal.service(service)
        return self.issue(principal.subject, principal.roles, principal.locations, ttl=ttl)


def generate_key(kid: str | None = None, *, service: str = "") -> tuple[dict, dict]:
    """A new Ed25519 signing key as (private JWK, public JWK), both with the same kid;
    bound to ``service`` when given (it will sign only that service's tokens)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    kid = kid or f"{service or 'k'}-{dt.datetime.now(dt.UTC):%Y%m%d}-{uuid.uuid4().hex[:6]}"
    meta = {"kid": kid, "alg": "EdDSA", "use": "sig", **({SERVICE_MEMBER: service} if service else {})}
    return ({**json.loads(OKPAlgorithm.to_jwk(private)), **meta},
            {**json.loads(OKPAlgorithm.to_jwk(private.public_key())), **meta})
