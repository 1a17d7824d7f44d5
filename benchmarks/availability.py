"""Finding a time on a large schedule, through the real gRPC server.

  python -m benchmarks.availability [--database sqlite|postgres|both] [--appointments N]
                                    [--samples N] [--profile FILE]

Three locations, each with a dozen rooms, chairs and devices (4 consult rooms, 4 infusion
chairs, 2 Spravato rooms, 2 TMS devices) and a roster (4 providers, 3 RNs, 3 TMS
technicians, on shift whenever the location is open), applied as location files through
the API; then 90 days of existing bookings (20,000 by default, with their resources and
staff; about two thirds of the rooms' time) written straight into the tables. Measured,
one call at a time: SearchAvailability of an IV ketamine infusion for a cleared patient
over the next 30 days at every location, 10 slots; and BookSeries of a 6-session course
(48 hours apart, within 42 days) for a distinct cleared patient each call, which books
it. p50 and p95 over --samples calls each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
from clinic.common.v1 import types_pb2
from clinic.intake.v1 import events_pb2 as intake_events
from clinic.scheduling.v1 import availability_service_pb2 as avail_pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as avail_grpc
from clinic.scheduling.v1 import series_service_pb2 as series_pb
from clinic.scheduling.v1 import series_service_pb2_grpc as series_grpc
from clinic_common.config import KafkaSettings
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_scheduling.apply_locations import apply_files
from clinic_scheduling.bootstrap import build_spec
from clinic_scheduling.config import SchedulingSettings
from sqlalchemy import create_engine, insert

from benchmarks.harness import percentile

PACIFIC = ZoneInfo("America/Los_Angeles")
LOCATIONS = ("la-jolla", "encinitas", "temecula")
DAYS = 90
OPEN, CLOSE = 8, 19
# Each resource kind: how many, the type booked on it, its length in minutes, the need
# and the staff who fill it.
RESOURCES = (
    ("consult", "CONSULT_ROOM", 4, "FREE_CONSULTATION", 30, "PROVIDER", "provider"),
    ("infusion", "INFUSION_CHAIR", 4, "IV_KETAMINE_INFUSION", 90, "RN", "rn"),
    ("treatment", "TREATMENT_ROOM", 2, "SPRAVATO_SESSION", 135, "OBSERVER", "rn"),
    ("tms", "TMS_DEVICE", 2, "TMS_SESSION", 40, "TMS_TECHNICIAN", "tech"),
)
ROSTER = (("provider", "PROVIDER", 4), ("rn", "RN", 3), ("tech", "TMS_TECHNICIAN", 3))
EXCLUSIVE = {"PROVIDER", "TMS_TECHNICIAN"}
DESK = auth.metadata(Role.FRONT_DESK, sub="bench-desk")


def location_file(folder: Path, location_id: str) -> Path:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    hours = f'["{OPEN:02d}:00-{CLOSE:02d}:00"]'
    lines = [f"location_id: {location_id}", f"display_name: {location_id.title()}",
             "time_zone: America/Los_Angeles", "weekly_hours:"]
    lines += [f"  {d}: {hours}" for d in days]
    lines += ["certifications: [SPRAVATO_REMS]", "resources:"]
    for prefix, kind, count, *_ in RESOURCES:
        lines += [f"  - {{id: {prefix}-{i}, kind: {kind}, name: {prefix} {i}}}"
                  for i in range(1, count + 1)]
    lines.append("staff:")
    for prefix, role, count in ROSTER:
        for i in range(1, count + 1):
            shifts = ", ".join(f"{d}: {hours}" for d in days)
            lines += [f"  - id: {prefix}-{location_id}-{i}", f"    name: {prefix} {i}",
                      f"    role: {role}", f"    shifts: {{{shifts}}}"]
    path = folder / f"{location_id}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def open_days(first: dt.date) -> list[dt.date]:
    return [d for d in (first + dt.timedelta(days=n) for n in range(DAYS)) if d.weekday() < 5]


def schedule(first: dt.date, count: int, seed: int = 7):
    """``count`` bookings over the open days from ``first``: rows for appointments,
    appointment_resources and appointment_staff. Each resource's day is first filled
    nearly back to back, then ``count`` of those bookings are kept at random (about two
    thirds of the rooms' time for 20,000). A room's provider (or a device's technician) is
    its own, so exclusive staff never overlap; an RN keeps two chairs or rooms, under the
    ratio of three; a patient has at most one booking a day."""
    rng = random.Random(seed)
    candidates = []
    for day in open_days(first):
        closes = dt.datetime.combine(day, dt.time(CLOSE), PACIFIC)
        for location_id in LOCATIONS:
            rn_slot = 0
            for prefix, _, n, code, minutes, need, staff_prefix in RESOURCES:
                length = dt.timedelta(minutes=minutes)
                for i in range(1, n + 1):
                    if staff_prefix == "rn":
                        member = f"rn-{location_id}-{rn_slot // 2 + 1}"
                        rn_slot += 1
                    else:
                        member = f"{staff_prefix}-{location_id}-{i}"
                    at = dt.datetime.combine(day, dt.time(OPEN), PACIFIC)
                    while at + length <= closes:
                        if rng.random() < 0.1:
                            at += dt.timedelta(minutes=15)
                            continue
                        candidates.append((at.astimezone(dt.UTC), (at + length).astimezone(dt.UTC),
                                           day, location_id, f"{prefix}-{i}", code, need, member))
                        at += length
    kept = sorted(rng.sample(candidates, min(count, len(candidates))))
    now = dt.datetime.now(dt.UTC)
    appointments, resources, staff = [], [], []
    for n, (start, end, day, location_id, resource_id, code, need, member) in enumerate(kept):
        appointment_id = uuid.uuid4().hex
        appointments.append(dict(
            appointment_id=appointment_id, location_id=location_id,
            patient_id=f"load-{n % 2500}", appointment_type=code, start_time=start,
            end_time=end, service_date=day, status="BOOKED", cancel_reason="",
            late_cancellation=False, rendering_provider_id="", created_at=now, updated_at=now))
        resources.append(dict(appointment_id=appointment_id, resource_id=resource_id,
                              location_id=location_id, start_time=start, end_time=end,
                              active=True))
        staff.append(dict(appointment_id=appointment_id, staff_member_id=member, role=need,
                          location_id=location_id, start_time=start, end_time=end,
                          exclusive=need in EXCLUSIVE, active=True))
    return appointments, resources, staff


def insert_schedule(url: str, first: dt.date, count: int) -> int:
    from clinic_scheduling.adapters import tables

    appointments, resources, staff = schedule(first, count)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for table, rows in ((tables.appointments, appointments),
                                (tables.appointment_resources, resources),
                                (tables.appointment_staff, staff)):
                for at in range(0, len(rows), 2000):
                    connection.execute(insert(table), rows[at:at + 2000])
    finally:
        engine.dispose()
    return len(appointments)


def seed_patients(url: str, count: int) -> list[str]:
    """Patients cleared for IV ketamine with an active 6-session plan, as intake's events
    make them."""
    from clinic_common.publisher import InMemoryPublisher
    from clinic_common.runtime import Runtime

    from tests.scheduling.helpers import intake_record

    runtime = Runtime(build_spec(), SchedulingSettings(database_url=url), KafkaSettings(),
                      publisher=InMemoryPublisher())
    runtime.migrate()
    processor = runtime.processor()
    ids = [f"bench-{n}" for n in range(count)]
    decided = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for patient_id in ids:
        decision = intake_events.CandidacyDecided(
            patient_id=patient_id, decision_id=f"d-{patient_id}",
            modality=intake_events.MODALITY_IV_KETAMINE,
            outcome=intake_events.CANDIDACY_OUTCOME_CLEARED, decided_by="dr-1")
        decision.decide_time.FromDatetime(decided)
        for message in (intake_events.PatientRegistered(patient_id=patient_id), decision,
                        intake_events.TreatmentPlanCreated(
                            patient_id=patient_id, plan_id=f"plan-{patient_id}", version=1,
                            modality=intake_events.MODALITY_IV_KETAMINE,
                            indication_code="F33.2", series_sessions=6, min_spacing_hours=48,
                            series_window_days=42, dose_mcg=35_000)):
            processor.process(intake_record(message, key=patient_id))
    runtime.engine.dispose()
    return ids


def _date(value: dt.date) -> types_pb2.Date:
    return types_pb2.Date(year=value.year, month=value.month, day=value.day)


def _timed(call, samples: int) -> list[float]:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _line(name: str, times: list[float]) -> str:
    return (f"{name}: p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms "
            f"({len(times)} calls)")


def run(url: str, bootstrap: str, log_dir: Path, *, appointments: int = 20_000,
        samples: int = 50, profile: Path | None = None) -> list[str]:
    """Sets up the schedule at ``url``, starts scheduling on it and measures; returns the
    report's lines."""
    from benchmarks.calls import _service

    first = dt.datetime.now(PACIFIC).date() + dt.timedelta(days=1)
    patients = seed_patients(url, 2 * samples + 4)
    service = _service("scheduling", {
        "SCHEDULING_DATABASE_URL": url, "SCHEDULING_CONSUME_EVENTS": "false",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": f"bench{time.time_ns()}."},
        log_dir)
    spy = None
    try:
        files = [location_file(log_dir, location_id) for location_id in LOCATIONS]
        apply_files(service.address, files, auth.token(Role.OPS, sub="bench-ops"))
        started = time.perf_counter()
        written = insert_schedule(url, first, appointments)
        setup = time.perf_counter() - started
        channel = grpc.insecure_channel(service.address)
        search_stub = avail_grpc.AvailabilityServiceStub(channel)
        series_stub = series_grpc.SeriesServiceStub(channel)

        def search(n: int):
            slots = search_stub.SearchAvailability(avail_pb.SearchAvailabilityRequest(
                appointment_type="IV_KETAMINE_INFUSION", start_date=_date(first),
                end_date=_date(first + dt.timedelta(days=30)), page_size=10,
                patient_id=patients[n % len(patients)]), metadata=DESK, timeout=120).slots
            assert len(slots) == 10, len(slots)

        def book(n: int):
            series = series_stub.BookSeries(series_pb.BookSeriesRequest(
                parent=f"patients/{patients[n]}", appointment_type="IV_KETAMINE_INFUSION",
                request_id=f"bench-series-{n}",
                preferences=series_pb.SeriesPreferences(start_date=_date(first))),
                metadata=DESK, timeout=120).series
            assert len(series.appointments) == 6, len(series.appointments)

        for n in range(3):  # warm-up: connections, caches
            search(n)
        if profile is not None:
            spy = _spy(service.process.pid, profile)
        searched = _timed(search, samples)
        booked = _timed(lambda n: book(4 + n), samples)
        channel.close()
        return [f"setup: {written:,} bookings at {len(LOCATIONS)} locations over {DAYS} days "
                f"written in {setup:.1f} s",
                _line("SearchAvailability, next 10 slots of an IV infusion, 3 locations, 31 "
                      "days", searched),
                _line("BookSeries, a 6-session course (booked)", booked)]
    finally:
        if spy is not None:
            spy.send_signal(2)  # py-spy writes its profile on SIGINT
            spy.wait(60)
        service.terminate()


def _spy(pid: int, output: Path) -> subprocess.Popen:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    process = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw",
                                "--output", str(output), "--rate", "200", "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return process


def main() -> None:
    from clinic_devtools.testing import infra

    parser = argparse.ArgumentParser(prog="python -m benchmarks.availability",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--appointments", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--profile", type=Path,
                        help="record the service under py-spy (raw format) while measuring")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory() as tmp, infra.postgres_server() as admin, \
            infra.broker() as broker:
        databases = infra.PostgresDatabases(admin)
        try:
            for kind in kinds:
                url = f"sqlite:///{tmp}/availability.db" if kind == "sqlite" else \
                    databases.create("availability")
                for line in run(url, broker.bootstrap, Path(tmp), appointments=args.appointments,
                                samples=args.samples, profile=args.profile):
                    print(f"[{kind}] {line}", flush=True)
        finally:
            databases.drop_all()


if __name__ == "__main__":
    main()
