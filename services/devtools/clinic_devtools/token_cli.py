"""Signing keys and bearer tokens for local use and tests.

  clinic-token keygen [--data-dir data] [--rotate] [--service NAME]
      writes <data>/auth/signing.jwk (private, mode 0600) and <data>/auth/jwks.json
      (public); --rotate adds a new key and keeps the old public keys, so tokens
      signed before stay valid until they expire; --service NAME makes a key bound
      to that service (<data>/auth/NAME.jwk), which signs only its own tokens.
  clinic-token issue --sub STAFF_ID --role ROLE [--role ROLE ...] [--location ID ...]
                     [--ttl 8h] [--data-dir data]
  clinic-token issue --service NAME
      prints a token signed with <data>/auth/signing.jwk (or --key FILE).

Issuer and audience come from AUTH_ISSUER and AUTH_AUDIENCE, as the services
read them. In production an identity provider issues tokens; this command is
for a developer's machine and the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path

from clinic_common.config import AuthSettings, ConfigurationError, load
from clinic_common.identity import ALL_LOCATIONS, Principal, Role
from clinic_common.tokens import TokenIssuer, generate_key

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def keygen(data_dir: Path, *, rotate: bool = False, service: str = "") -> Path:
    """Make a signing key (once; again with ``rotate``) and publish its public half. A
    service's key (``service``) is bound to it and kept beside the others."""
    folder = data_dir / "auth"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    signing = folder / (f"{service}.jwk" if service else "signing.jwk")
    jwks = folder / "jwks.json"
    if signing.exists() and jwks.exists() and not rotate:
        return signing
    private, public = generate_key(service=service)
    published = json.loads(jwks.read_text())["keys"] if jwks.exists() else []
    if not rotate and not service:
        published = []
    _write_private(signing, json.dumps(private))
    jwks.write_text(json.dumps({"keys": [*published, public]}, indent=2))
    return signing


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(path.with_suffix(".tmp"), path)


def issuer(key_file: Path, auth: AuthSettings) -> TokenIssuer:
    return TokenIssuer(json.loads(key_file.read_text()), issuer=auth.issuer,
                       audience=auth.audience)


def ttl(value: str) -> dt.timedelta:
    match = DURATION.match(value)
    if not match:
        raise argparse.ArgumentTypeError("give a duration such as 30m, 8h or 1d")
    return dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinic-token", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("CLINIC_DATA_DIR", "data")))
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("keygen", help="make a signing key and its public key set")
    gen.add_argument("--rotate", action="store_true", help="add a new key, keep the old ones")
    gen.add_argument("--service", default="",
                     help="a key for this service only (<data>/auth/<service>.jwk)")
    issue = commands.add_parser("issue", help="print a signed bearer token")
    who = issue.add_mutually_exclusive_group(required=True)
    who.add_argument("--sub", help="the staff id")
    who.add_argument("--service", help="a service name, for a service identity")
    issue.add_argument("--role", action="append", default=[], choices=sorted(Role))
    issue.add_argument("--location", action="append", default=[],
                       help=f"a location id the holder acts at ({ALL_LOCATIONS} for all)")
    issue.add_argument("--ttl", type=ttl, default=dt.timedelta(hours=8))
    issue.add_argument("--key", type=Path, help="private JWK file; default <data>/auth/signing.jwk")
    args = parser.parse_args(argv)
    try:
        auth = load(AuthSettings)
    except ConfigurationError as exc:
        print(f"clinic-token: {exc}", file=sys.stderr)
        return 2
    if args.command == "keygen":
        path = keygen(args.data_dir, rotate=args.rotate, service=args.service)
        print(f"signing key {path}\npublic keys {path.parent / 'jwks.json'}")
        return 0
    key_file = args.key or args.data_dir / "auth" / "signing.jwk"
    if not key_file.exists():
        print(f"clinic-token: no signing key at {key_file}; run `clinic-token keygen`",
              file=sys.stderr)
        return 2
    if args.service:
        principal = Principal.service(args.service)
        subject, roles, locations = principal.subject, principal.roles, principal.locations
    else:
        if not args.role:
            parser.error("issue --sub needs at least one --role")
        subject, roles, locations = args.sub, args.role, args.location
    print(issuer(key_file, auth).issue(subject, roles, locations, ttl=args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
