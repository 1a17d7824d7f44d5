"""Applies location files through the scheduling API: creates or updates each location.

  CLINIC_TOKEN=... python -m clinic_scheduling.apply_locations --target HOST:PORT \
      deploy/appointment-types.yaml deploy/locations/*.yaml

The appointment type file (deploy/appointment-types.yaml, told apart from a location file
by its only key, ``appointment_types``) is applied first, through CreateAppointmentType and
UpdateAppointmentType, so a location may list a type the same run creates: one line per
type, "appointment type TMS_MAPPING created", "... updated (parts)" or "... unchanged".

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
from clinic.scheduling.v1 import appointment_type_pb2, location_pb2
from clinic.scheduling.v1 import appointment_type_service_pb2 as type_pb
from clinic.scheduling.v1 import appointment_type_service_pb2_grpc as type_grpc
from clinic.scheduling.v1 import location_service_pb2 as pb
from clinic.scheduling.v1 import location_service_pb2_grpc as pb_grpc
from clinic_common.client import connect, static_token
from clinic_common.config import ConfigurationError, TlsSettings, load
from google.protobuf.field_mask_pb2 import FieldMask

from clinic_scheduling.entrypoints import appointment_type_files, location_files
from clinic_scheduling.entrypoints.appointment_type_files import (
    AppointmentTypeFile,
    AppointmentTypeFileError,
)
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
    type_files = [appointment_type_files.read(Path(p)) for p in paths
                  if appointment_type_files.is_appointment_type_file(Path(p))]
    files = [location_files.read(Path(p)) for p in paths
             if not appointment_type_files.is_appointment_type_file(Path(p))]
    _one_definition_each(type_files)
    roster(files)  # one person's name and role agree across the files, before any call
    with connect(target, token=static_token(token), tls=tls) as channel:
        types = type_grpc.AppointmentTypeServiceStub(channel)
        lines = [_apply_type(types, file, kind) for file in type_files for kind in file.types]
        stub = pb_grpc.LocationServiceStub(channel)
        lines += [_apply(stub, file) for file in files]
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


def _one_definition_each(files: list[AppointmentTypeFile]) -> None:
    seen: dict[str, Path] = {}
    for file in files:
        for kind in file.types:
            if kind.code in seen:
                raise AppointmentTypeFileError(
                    f"{file.path}: type {kind.code!r} is defined in {seen[kind.code]} too")
            seen[kind.code] = file.path


# What an appointment type file says of a type, and what UpdateAppointmentType may change.
TYPE_FIELDS = ("display_name", "required_certification", "parts")


def _apply_type(stub: type_grpc.AppointmentTypeServiceStub, file: AppointmentTypeFile,
                kind: appointment_type_pb2.AppointmentType) -> str:
    name = f"appointmentTypes/{kind.code}"
    line = f"appointment type {kind.code}"
    try:
        try:
            current = stub.GetAppointmentType(type_pb.GetAppointmentTypeRequest(name=name),
                                              timeout=TIMEOUT_SECONDS).appointment_type
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            given = appointment_type_pb2.AppointmentType()
            given.CopyFrom(kind)
            given.ClearField("code")
            stub.CreateAppointmentType(type_pb.CreateAppointmentTypeRequest(
                appointment_type_id=kind.code, appointment_type=given,
                request_id=_type_request_id(kind, TYPE_FIELDS)), timeout=TIMEOUT_SECONDS)
            return f"{line} created"
        if current.modality != kind.modality:
            raise ApplyError(f"{file.path}: type {kind.code!r}: modality is "
                             f"{current.modality or 'none'!r} and cannot change to "
                             f"{kind.modality or 'none'!r} (create a new type instead)")
        changed = [f for f in TYPE_FIELDS if _type_value(current, f) != _type_value(kind, f)]
        if not changed:
            return f"{line} unchanged"
        desired = appointment_type_pb2.AppointmentType()
        desired.CopyFrom(kind)
        desired.name = name
        stub.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
            appointment_type=desired, update_mask=FieldMask(paths=changed),
            request_id=_type_request_id(kind, changed, current)), timeout=TIMEOUT_SECONDS)
        return f"{line} updated ({', '.join(changed)})"
    except grpc.RpcError as exc:
        raise ApplyError(f"{file.path}: type {kind.code!r}: {exc.code().name}: "
                         f"{exc.details()}") from exc


def _type_value(kind: appointment_type_pb2.AppointmentType, field: str):
    """A field's value in a form that ignores whitespace and the order of a part's resource
    kinds and staff roles (the parts' order counts)."""
    if field != "parts":
        return getattr(kind, field).strip()
    return [(p.kind, p.minutes, p.length_from_plan, p.min_minutes, p.max_minutes,
             tuple(sorted(p.resource_kinds)), tuple(sorted(p.staff_roles)))
            for p in kind.parts]


def _type_request_id(kind: appointment_type_pb2.AppointmentType, fields,
                     current: appointment_type_pb2.AppointmentType | None = None) -> str:
    """As _request_id: the same change of the same state is the same request. A type shows
    no update time, so its current state itself is part of it."""
    digest = hashlib.sha256(kind.SerializeToString(deterministic=True))
    digest.update(",".join(fields).encode())
    if current is not None:
        digest.update(current.SerializeToString(deterministic=True))
    verb = "update" if current is not None else "create"
    return f"apply-{verb}-type-{kind.code}-{digest.hexdigest()[:24]}"


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
    parser.add_argument("files", nargs="+", type=Path,
                        help="location files and the appointment type file (YAML)")
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
    except (LocationFileError, AppointmentTypeFileError, ApplyError) as exc:
        print(f"apply_locations: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
