"""Bearer token verification: what is trusted, what is refused, and key rotation."""

import datetime as dt
import json
import os

import jwt
import pytest
from clinic_common.identity import ALL_LOCATIONS, Role
from clinic_common.tokens import InvalidToken, KeySet, TokenIssuer, TokenVerifier, generate_key

ISSUER, AUDIENCE = "https://id.example-clinic.test", "clinic-api"


def _key_pair(kid: str):
    private, public = generate_key(kid)
    return TokenIssuer(private, issuer=ISSUER, audience=AUDIENCE), public


@pytest.fixture
def current():
    return _key_pair("2026-11")


def _verifier(*public_keys, **options) -> TokenVerifier:
    keys = KeySet(document={"keys": list(public_keys)})
    return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, **options)


def test_a_signed_token_names_the_staff_member_roles_and_locations(current):
    issuer, public = current
    token = issuer.issue("rn-ortiz", [Role.NURSE], ["la-jolla"])
    principal = _verifier(public).verify(token)
    assert (principal.subject, principal.roles, principal.locations) == \
        ("rn-ortiz", frozenset({Role.NURSE}), frozenset({"la-jolla"}))
    assert principal.token_id and not principal.is_service


def test_a_service_token_is_a_service_principal_at_every_location(current):
    issuer, public = current
    principal = _verifier(public).verify(issuer.service_token("billing"))
    assert (principal.subject, principal.roles, principal.locations, principal.is_service) == \
        ("service:billing", frozenset({Role.SERVICE}), frozenset({ALL_LOCATIONS}), True)


def test_an_expired_token_is_refused_but_its_holder_is_known(current):
    issuer, public = current
    token = issuer.issue("rn-ortiz", [Role.NURSE], ["la-jolla"], ttl=dt.timedelta(minutes=5),
                         now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    with pytest.raises(InvalidToken) as refused:
        _verifier(public).verify(token)
    assert (str(refused.value), refused.value.subject) == ("ExpiredSignatureError", "rn-ortiz")


def test_a_token_signed_by_an_unknown_key_is_refused(current):
    _, public = current
    stranger, _ = _key_pair("2026-11")  # same kid, other key: a forgery
    other_kid, _ = _key_pair("someone-else")
    for token in (stranger.issue("admin-1", [Role.ADMIN]), other_kid.issue("admin-1", [Role.ADMIN])):
        with pytest.raises(InvalidToken) as refused:
            _verifier(public).verify(token)
        assert refused.value.subject == ""  # nobody vouches for the name in it


@pytest.mark.parametrize("token", [
    "", "not-a-token", "a.b.c", "Bearer x", "e30.e30.", "x" * 9000,
    # alg "none": no signature at all
    jwt.encode({"sub": "admin-1", "roles": ["ADMIN"]}, key=None, algorithm="none",
               headers={"kid": "2026-11"}),
])
def test_malformed_tokens_are_refused(current, token):
    _, public = current
    with pytest.raises(InvalidToken):
        _verifier(public).verify(token)


def test_a_token_for_another_audience_or_issuer_is_refused():
    private, public = generate_key("2026-11")
    for issuer, audience in ((ISSUER, "another-api"), ("https://evil.test", AUDIENCE)):
        token = TokenIssuer(private, issuer=issuer, audience=audience).issue("a", [Role.ADMIN])
        with pytest.raises(InvalidToken):
            _verifier(public).verify(token)


def test_a_token_living_longer_than_allowed_is_refused(current):
    issuer, public = current
    token = issuer.issue("a", [Role.ADMIN], ttl=dt.timedelta(days=30))
    with pytest.raises(InvalidToken) as refused:
        _verifier(public, max_lifetime_seconds=12 * 3600).verify(token)
    assert "lifetime" in str(refused.value)


@pytest.mark.parametrize("claims", [
    {"roles": "ADMIN", "locations": []},
    {"roles": ["ADMIN"], "locations": "la-jolla"},
    {"roles": ["ADMIN"], "locations": ["la jolla/../x"]},
])
def test_malformed_roles_or_locations_are_refused(current, claims):
    issuer, public = current
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "iat": int(_now()),
                        "exp": int(_now()) + 60, **claims}, issuer.key.key, algorithm="EdDSA",
                       headers={"kid": "2026-11"})
    with pytest.raises(InvalidToken):
        _verifier(public).verify(token)


def test_unknown_roles_are_ignored_not_granted(current):
    issuer, public = current
    principal = _verifier(public).verify(issuer.issue("a", ["SUPERUSER", "NURSE"], ["x"]))
    assert principal.roles == frozenset({Role.NURSE})


def test_keys_rotate_without_downtime(tmp_path, current):
    """Publish the new key beside the old, switch signing, withdraw the old one later."""
    old_issuer, old_public = current
    new_issuer, new_public = _key_pair("2026-12")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [old_public]}))
    verifier = TokenVerifier(KeySet(path=jwks, recheck_seconds=0), issuer=ISSUER,
                             audience=AUDIENCE)
    old_token = old_issuer.issue("a", [Role.ADMIN])
    assert verifier.verify(old_token).subject == "a"
    with pytest.raises(InvalidToken):
        verifier.verify(new_issuer.issue("b", [Role.ADMIN]))
    _rewrite(jwks, {"keys": [old_public, new_public]})
    assert verifier.verify(old_token).subject == "a"
    assert verifier.verify(new_issuer.issue("b", [Role.ADMIN])).subject == "b"
    _rewrite(jwks, {"keys": [new_public]})
    with pytest.raises(InvalidToken):
        verifier.verify(old_token)


def test_a_broken_key_file_keeps_the_keys_already_loaded(tmp_path, current):
    issuer, public = current
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public]}))
    verifier = TokenVerifier(KeySet(path=jwks, recheck_seconds=0), issuer=ISSUER,
                             audience=AUDIENCE)
    jwks.write_text("{not json")
    os.utime(jwks, (_now() + 5, _now() + 5))
    assert verifier.verify(issuer.issue("a", [Role.ADMIN])).subject == "a"


def test_a_key_set_with_a_private_key_or_without_kids_is_refused(current):
    private, public = generate_key("k")
    with pytest.raises(ValueError, match="private"):
        KeySet(document={"keys": [private]})
    with pytest.raises(ValueError, match="kid"):
        KeySet(document={"keys": [{k: v for k, v in public.items() if k != "kid"}]})
    with pytest.raises(ValueError, match="no keys"):
        KeySet(document={"keys": []})


def _rewrite(path, document) -> None:
    path.write_text(json.dumps(document))
    stamp = path.stat().st_mtime + 1
    os.utime(path, (stamp, stamp))


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()


def test_a_service_key_signs_only_its_own_service_tokens():
    private, public = generate_key("billing-1", service="billing")
    issuer = TokenIssuer(private, issuer=ISSUER, audience=AUDIENCE)
    verifier = _verifier(public)
    assert verifier.verify(issuer.service_token("billing")).subject == "service:billing"
    for token in (issuer.issue("admin-1", [Role.ADMIN], [ALL_LOCATIONS]),
                  issuer.service_token("intake")):
        with pytest.raises(InvalidToken, match="service"):
            verifier.verify(token)


@pytest.mark.parametrize("entry", [
    {"kid": "x", "kty": "OKP", "crv": "P-256", "x": "AAAA"},
    {"kid": "x", "kty": "RSA"},
    {"kid": "x", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "alg": "HS256"},
    {"kid": "x", "kty": "OKP", "crv": "Ed25519", "x": "A", "clinic_service": ["a"]},
    "not a key",
])
def test_a_key_set_with_an_unusable_key_is_refused_with_its_kid(entry):
    with pytest.raises(ValueError):
        KeySet(document={"keys": [entry]})


def test_a_broken_rotation_keeps_the_keys_already_loaded(tmp_path, current):
    issuer, public = current
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public]}))
    verifier = TokenVerifier(KeySet(path=jwks, recheck_seconds=0), issuer=ISSUER,
                             audience=AUDIENCE)
    for broken in ({"keys": [{"kid": "new", "kty": "OKP", "crv": "P-256", "x": "AA"}]}, [1, 2]):
        _rewrite(jwks, broken)
        assert verifier.verify(issuer.issue("a", [Role.ADMIN])).subject == "a"


def test_times_that_are_not_numbers_are_refused(current):
    issuer, public = current
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "iat": str(int(_now())),
                        "exp": str(int(_now()) + 60), "roles": [], "locations": []},
                       issuer.key.key, algorithm="EdDSA", headers={"kid": "2026-11"})
    with pytest.raises(InvalidToken):
        _verifier(public).verify(token)


def test_a_remembered_token_is_refused_once_it_expires(current, monkeypatch):
    import clinic_common.tokens as tokens

    issuer, public = current
    verifier = _verifier(public, leeway_seconds=0)
    token = issuer.issue("rn-1", [Role.NURSE], ["la-jolla"], ttl=dt.timedelta(minutes=5))
    assert verifier.verify(token).subject == "rn-1"
    assert verifier.verify(token).subject == "rn-1"  # from memory
    later = _now() + 600
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(later), raising=False)
    with pytest.raises(InvalidToken):
        verifier.verify(token)


class _FrozenDatetime:
    """pyjwt reads the time from datetime.now(tz=timezone.utc); this one is ``at``."""

    def __init__(self, at: float):
        self.at = at

    def now(self, tz=None):
        return dt.datetime.fromtimestamp(self.at, tz)

    def __getattr__(self, name):
        return getattr(dt.datetime, name)
