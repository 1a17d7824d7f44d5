"""Applies location files through the scheduling API: creates or updates each location.

  CLINIC_TOKEN=... python -m clinic_scheduling.apply_locations --target HOST:PORT \
      deploy/locations/*.yaml

The token is an ops or admin bearer token (CLINIC_TOKEN, or --token-file); with
TLS_CA_FILE set the call goes over TLS.

Each file's ``staff`` roster is applied after the locations (see staff_roster.py): one
line per staff member, "staff rn-ana-reyes created", "... updated (shifts)" or
"... unchanged".

Idempotent: a location already as its file describes is left alone, so applying
twice changes nothing the second time. Every file is read before any is applied,
so a malformed file applies nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import grpc
from clinic.scheduling.v1 import location_pb2
from clinic.scheduling.v1 import location_service_pb2 as pb
from clinic.scheduling.v1 import location_service_pb2_grpc as pb_grpc
from clinic_common.client import connect, static_token
from clinic_common.config import ConfigurationError, TlsSettings, load
from google.protobuf.field_mask_pb2 import FieldMask

from clinic_scheduling.entrypoints import location_files
from clinic_scheduling.entrypoints.location_files import LocationFile, LocationFileError
from clinic_scheduling.staff_roster import apply_roster, roster

TIMEOUT_SECONDS = 15.0


class ApplyError(RuntimeError):
    """The service refused a location; the message names the file and the reason, and
    ``__cause__`` is the refused call (its status details: reason, correlation id)."""


def apply_files(target: str, paths: list[Path], token: str,
                tls: TlsSettings | None = None) -> list[str]:
    """Apply each file to the service at ``target`` with an ops ``token``; returns one line
    per location, such as "la-jolla created", "encinitas unchanged" or "temecula updated
    (resources)"."""
    files = [location_files.read(Path(p)) for p in paths]
    roster(files)  # one person's name and role agree across the files, before any call
    with connect(target, token=static_token(token), tls=tls) as channel:
        stub = pb_grpc.LocationServiceStub(channel)
        lines = [_apply(stub, file) for file in files]
        try:
            return lines + apply_roster(channel, files, TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            raise ApplyError(f"staff: {exc.code().name}: {exc.details()}") from exc


def _apply(stub: pb_grpc.LocationServiceStub, file: LocationFile) -> str:
    name = f"locations/{file.location_id}"
    try:
        try:
            current = stub.GetLocation(pb.GetLocationRequest(name=name),
                                       timeout=TIMEOUT_SECONDS).location
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            stub.CreateLocation(pb.CreateLocationRequest(
                location_id=file.location_id, location=file.location,
                request_id=_request_id(file, file.fields)), timeout=TIMEOUT_SECONDS)
            return f"{file.location_id} created"
        changed = [f for f in file.fields if _value(current, f) != _value(file.location, f)]
        if not changed:
            return f"{file.location_id} unchanged"
        desired = location_pb2.Location(name=name)
        desired.MergeFrom(file.location)
        stub.UpdateLocation(pb.UpdateLocationRequest(
            location=desired, update_mask=FieldMask(paths=changed),
            request_id=_request_id(file, changed, current)), timeout=TIMEOUT_SECONDS)
        return f"{file.location_id} updated ({', '.join(changed)})"
    except grpc.RpcError as exc:
        raise ApplyError(f"{file.path}: {exc.code().name}: {exc.details()}") from exc


def _value(location: location_pb2.Location, field: str):
    """A field's value in a form that ignores list order and whitespace."""
    value = getattr(location, field)
    if isinstance(value, str):
        return value.strip()
    if field in ("certifications", "appointment_types"):
        return sorted(value)
    return sorted(item.SerializeToString(deterministic=True) for item in value)


def _request_id(file: LocationFile, fields, current: location_pb2.Location | None = None) -> str:
    """The same change of the same state (a retry after a timeout) is the same request.

    The state's update_time is part of it, so changing a location back to what it
    was once before is a new request, not a replay of the old one.
    """
    digest = hashlib.sha256(file.location.SerializeToString(deterministic=True))
    digest.update(",".join(fields).encode())
    if current is not None:
        digest.update(current.update_time.SerializeToString(deterministic=True))
    verb = "update" if current is not None else "create"
    return f"apply-{verb}-{file.location_id}-{digest.hexdigest()[:24]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic_scheduling.apply_locations",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="the scheduling service, HOST:PORT")
    parser.add_argument("--token-file", type=Path,
                        help="a file holding the bearer token (default: $CLINIC_TOKEN)")
    parser.add_argument("files", nargs="+", type=Path, help="location files (YAML)")
    args = parser.parse_args(argv)
    token = args.token_file.read_text().strip() if args.token_file else \
        os.environ.get("CLINIC_TOKEN", "")
    if not token:
        print("apply_locations: set CLINIC_TOKEN (or --token-file) to an ops token",
              file=sys.stderr)
        return 2
    try:
        tls = load(TlsSettings)
    except ConfigurationError as exc:
        print(f"apply_locations: {exc}", file=sys.stderr)
        return 2
    try:
        for line in apply_files(args.target, args.files, token, tls):
            print(line)
    except (LocationFileError, ApplyError) as exc:
        print(f"apply_locations: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
