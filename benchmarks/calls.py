"""Calls per second at many callers: the echo baseline, CreatePatient, CreateAppointment."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
from clinic.intake.v1 import events_pb2 as intake_events
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
from clinic.intake.v1 import patient_pb2
from clinic.scheduling.v1 import appointment_pb2, appointment_service_pb2_grpc
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic_common.config import KafkaSettings
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import free_port, wait_for_port
from clinic_devtools.testing.processes import ServiceProcess
from clinic_scheduling.apply_locations import apply_files
from clinic_scheduling.bootstrap import build_spec as scheduling_spec
from clinic_scheduling.config import SchedulingSettings
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import create_engine, text

from benchmarks import echo
from benchmarks.harness import Run, drive, peak_memory_mb, tree_cpu_seconds

REPO = Path(__file__).resolve().parents[1]
LA_JOLLA = ZoneInfo("America/Los_Angeles")
FIRST_DAY = dt.date(2027, 3, 1)  # a Monday with no closures in the weeks after
SLOTS_PER_DAY = 17  # 08:00 to 16:30 in half hours, while La Jolla has two providers on shift
DESK = auth.metadata(Role.FRONT_DESK, sub="bench-desk", locations=("la-jolla",))


CONNECTIONS = 8  # client connections, spread over a service's processes by the kernel


@contextlib.contextmanager
def connections(address: str):
    """CONNECTIONS channels that each hold their own connection: calls on one channel all go
    to the one server process that accepted it (SO_REUSEPORT balances connections)."""
    channels = [grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(CONNECTIONS)]
    try:
        yield channels
    finally:
        for channel in channels:
            channel.close()


def echo_baseline(calls: int, callers: int, workers: int) -> Run:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.echo", str(port), str(workers)])
    try:
        wait_for_port("127.0.0.1", port, 15)
        with connections(f"127.0.0.1:{port}") as channels:
            stubs = [echo.stub(channel) for channel in channels]
            payload = b"x" * 120
            return drive(lambda i: stubs[i % CONNECTIONS](payload, timeout=30), calls, callers)
    finally:
        server.terminate()
        server.wait(10)


def _service(name: str, env: dict, log_dir: Path) -> ServiceProcess:
    return ServiceProcess(name, {f"{name.upper()}_LOG_LEVEL": "WARNING", **env}, log_dir).start(90)


def create_patient(url: str, calls: int, callers: int, workers: int, bootstrap: str,
                   log_dir: Path, processes: int = 1) -> tuple[Run, float, float]:
    """Returns the run, the service's CPU ms per call, and its peak memory in MiB."""
    service = _service("intake", {
        "INTAKE_DATABASE_URL": url, "INTAKE_GRPC_WORKERS": str(workers),
        "INTAKE_PROCESSES": str(processes),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": f"bench{time.time_ns()}."},
        log_dir)
    try:
        with connections(service.address) as channels:
            stubs = [intake_grpc.IntakeServiceStub(channel) for channel in channels]

            def one(n: int):
                stub = stubs[n % CONNECTIONS]
                patient = patient_pb2.Patient(given_name="Bench", family_name=f"N{n}",
                                              phone=f"+1619555{abs(n) % 10000:04d}")
                patient.date_of_birth.year, patient.date_of_birth.month = 1950 + abs(n) % 50, 1
                patient.date_of_birth.day = 1 + abs(n) % 28
                stub.CreatePatient(intake_pb.CreatePatientRequest(
                    patient=patient, request_id=f"b{n}"), metadata=DESK, timeout=60)

            cpu_before = tree_cpu_seconds(service.process.pid)
            run = drive(one, calls, callers)
            cpu_ms = (tree_cpu_seconds(service.process.pid) - cpu_before) * 1000 / calls
            return run, cpu_ms, peak_memory_mb(service.process.pid)
    finally:
        service.terminate()


def _slot(i: int) -> tuple[str, dt.datetime]:
    """Booking i's consult room and start: two rooms a half hour, 08:00 to 16:30, Monday to
    Thursday from FIRST_DAY (a consultation needs a provider, and La Jolla's roster has two
    on shift then: one after 16:30 and on Fridays)."""
    room, slot = f"consult-{i % 2 + 1}", i // 2
    day, weekday_slot = FIRST_DAY, slot % SLOTS_PER_DAY
    for _ in range(slot // SLOTS_PER_DAY):
        day += dt.timedelta(days=1)
        while day.weekday() >= 4:
            day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(8), LA_JOLLA) + dt.timedelta(minutes=30 * weekday_slot)
    return room, start.astimezone(dt.UTC)


def _seed_scheduling(url: str, patients: int) -> None:
    """Patients known to scheduling, as intake's events would make them."""
    from clinic_common.publisher import InMemoryPublisher
    from clinic_common.runtime import Runtime

    from tests.scheduling.helpers import intake_record

    runtime = Runtime(scheduling_spec(), SchedulingSettings(database_url=url), KafkaSettings(),
                      publisher=InMemoryPublisher())
    runtime.migrate()
    processor = runtime.processor()
    for n in range(patients):
        processor.process(intake_record(intake_events.PatientRegistered(patient_id=f"bp{n}"),
                                        key=f"bp{n}"))
    runtime.engine.dispose()


def create_appointment(url: str, calls: int, callers: int, workers: int, bootstrap: str,
                       log_dir: Path, processes: int = 1) -> tuple[Run, float, float, int]:
    """Bookings of distinct consult-room slots by distinct patients. Returns the run, CPU ms
    per booking, peak memory, and the overlapping bookings found afterwards (must be 0)."""
    _seed_scheduling(url, calls + 16)
    service = _service("scheduling", {
        "SCHEDULING_DATABASE_URL": url, "SCHEDULING_GRPC_WORKERS": str(workers),
        "SCHEDULING_PROCESSES": str(processes),
        "SCHEDULING_CONSUME_EVENTS": "false", "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_TOPIC_PREFIX": f"bench{time.time_ns()}."}, log_dir)
    try:
        apply_files(service.address, [REPO / "deploy/locations/la-jolla.yaml"],
                    auth.token(Role.OPS, sub="bench-ops"))
        with connections(service.address) as channels:
            stubs = [appointment_service_pb2_grpc.AppointmentServiceStub(channel)
                     for channel in channels]

            def one(n: int):
                stub = stubs[n % CONNECTIONS]
                index = n if n >= 0 else calls - n  # warm-up bookings use slots after the run
                room, start = _slot(index)
                stamp = Timestamp()
                stamp.FromDatetime(start)
                stub.CreateAppointment(appt_pb.CreateAppointmentRequest(
                    parent="locations/la-jolla", request_id=f"bk{index}",
                    appointment=appointment_pb2.Appointment(
                        patient_id=f"bp{index}", appointment_type="FREE_CONSULTATION",
                        start_time=stamp, resource_ids=[room])), metadata=DESK, timeout=60)

            cpu_before = tree_cpu_seconds(service.process.pid)
            run = drive(one, calls, callers)
            cpu_ms = (tree_cpu_seconds(service.process.pid) - cpu_before) * 1000 / calls
            memory = peak_memory_mb(service.process.pid)
        return run, cpu_ms, memory, _overlaps(url)
    finally:
        service.terminate()


def _overlaps(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM appointment_resources a JOIN appointment_resources b "
                "ON a.resource_id = b.resource_id AND a.location_id = b.location_id "
                "AND a.appointment_id < b.appointment_id AND a.active AND b.active "
                "AND a.start_time < b.end_time AND b.start_time < a.end_time")).scalar_one()
    finally:
        engine.dispose()
