"""Demo data for the embedded default, loaded through the public gRPC APIs only.

Locations come from deploy/locations/*.yaml (the same files ops apply in
production); patients from deploy/demo/patients.yaml. Every call carries a
stable request id or is an idempotent apply, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from clinic_common.client import connect, static_token
from clinic_common.config import AuthSettings, load
from clinic_common.identity import ALL_LOCATIONS, Role

from clinic_devtools import token_cli


def load_demo(addresses: dict[str, str], repo: Path, signing_key: Path) -> None:
    """Apply the appointment types and the location files as ops, then register the demo patients at the front desk,
    with tokens signed by the embedded stack's key."""
    from clinic_scheduling.apply_locations import apply_files

    tokens = token_cli.issuer(signing_key, load(AuthSettings))
    ops = tokens.issue("demo-ops", [Role.OPS], [ALL_LOCATIONS], ttl=dt.timedelta(minutes=10))
    desk = tokens.issue("demo-front-desk", [Role.FRONT_DESK], [ALL_LOCATIONS],
                        ttl=dt.timedelta(minutes=10))
    location_files = [repo / "deploy" / "appointment-types.yaml",
                      *sorted((repo / "deploy" / "locations").glob("*.yaml"))]
    applied = apply_files(addresses["scheduling"], location_files, ops)
    print(f"locations  {', '.join(applied)}")
    patients = register_patients(addresses["intake"], repo / "deploy" / "demo" / "patients.yaml",
                                 desk)
    print(f"patients   {len(patients)} demo patients registered")


def register_patients(address: str, path: Path, token: str) -> list[str]:
    from clinic.intake.v1 import intake_service_pb2 as pb
    from clinic.intake.v1 import intake_service_pb2_grpc as pb_grpc
    from clinic.intake.v1 import patient_pb2

    entries = yaml.safe_load(path.read_text())["patients"]
    names = []
    with connect(address, token=static_token(token)) as channel:
        stub = pb_grpc.IntakeServiceStub(channel)
        for entry in entries:
            born = entry["date_of_birth"]
            born = born if isinstance(born, dt.date) else dt.date.fromisoformat(str(born))
            patient = patient_pb2.Patient(
                given_name=entry["given_name"], family_name=entry["family_name"],
                phone=entry.get("phone", ""), email=entry.get("email", ""),
                preferred_location_id=entry.get("preferred_location_id", ""))
            patient.date_of_birth.year = born.year
            patient.date_of_birth.month = born.month
            patient.date_of_birth.day = born.day
            reply = stub.CreatePatient(pb.CreatePatientRequest(
                patient=patient, request_id=entry["request_id"]), timeout=10)
            names.append(reply.patient.name)
    return names
