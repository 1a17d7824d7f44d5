"""Demo data for the embedded default, loaded through the public gRPC APIs only.

Locations come from deploy/locations/*.yaml (the same files ops apply in
production); patients from deploy/demo/patients.yaml. Every call carries a
stable request id or is an idempotent apply, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import grpc
import yaml


def load_demo(addresses: dict[str, str], repo: Path) -> None:
    from clinic_scheduling.apply_locations import apply_files

    location_files = sorted((repo / "deploy" / "locations").glob("*.yaml"))
    applied = apply_files(addresses["scheduling"], location_files)
    print(f"locations  {', '.join(applied)}")
    patients = register_patients(addresses["intake"], repo / "deploy" / "demo" / "patients.yaml")
    print(f"patients   {len(patients)} demo patients registered")


def register_patients(address: str, path: Path) -> list[str]:
    from clinic.intake.v1 import intake_service_pb2 as pb
    from clinic.intake.v1 import intake_service_pb2_grpc as pb_grpc
    from clinic.intake.v1 import patient_pb2

    entries = yaml.safe_load(path.read_text())["patients"]
    names = []
    with grpc.insecure_channel(address) as channel:
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
