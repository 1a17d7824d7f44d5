"""Runs the benchmarks and prints one line of numbers each.

  python -m benchmarks [--database sqlite|postgres] [--calls N] [--events N]

PostgreSQL comes from BENCH_POSTGRES_URL or the local server; the broker is a
tansu subprocess unless BENCH_KAFKA_BOOTSTRAP names one.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from clinic.intake.v1 import events_pb2, patient_pb2
from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2_grpc as pb_grpc
from clinic_common.config import KafkaSettings
from clinic_common.identity import Role
from clinic_common.publisher import KafkaPublisher
from clinic_common.runtime import Runtime
from clinic_devtools.testing import infra
from clinic_devtools.testing.processes import ServiceProcess
from clinic_intake.bootstrap import build_spec
from clinic_intake.config import IntakeSettings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def database_url(kind: str, tmp: Path, databases) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    return databases.create("bench")


def bench_create_patient(url: str, calls: int, concurrency: int, bootstrap: str,
                         log_dir: Path) -> str:
    """CreatePatient against intake running as its own process, as in production."""
    service = ServiceProcess("intake", {
        "INTAKE_DATABASE_URL": url, "INTAKE_LOG_LEVEL": "WARNING",
        "INTAKE_GRPC_WORKERS": str(concurrency * 2), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_TOPIC_PREFIX": f"bench{time.time_ns()}."}, log_dir).start(60)
    channel = service.channel(Role.FRONT_DESK)  # every call carries a front-desk token
    stub = pb_grpc.IntakeServiceStub(channel)

    def one(n: int) -> float:
        patient = patient_pb2.Patient(given_name="Bench", family_name=f"N{n}",
                                      phone=f"+1619555{n % 10000:04d}")
        patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = \
            1980, 1, 1 + n % 28
        started = time.perf_counter()
        stub.CreatePatient(pb.CreatePatientRequest(patient=patient, request_id=f"b{n}"))
        return (time.perf_counter() - started) * 1000

    one(-1)  # connect and warm up
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(calls)))
    elapsed = time.perf_counter() - started
    channel.close()
    service.terminate()
    return (f"CreatePatient x{calls} c={concurrency}: {calls / elapsed:.0f} calls/s, "
            f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms")


def bench_relay(url: str, events: int, bootstrap: str) -> str:
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"bench{time.time_ns()}.")
    runtime = Runtime(build_spec(), IntakeSettings(database_url=url), kafka,
                      publisher=None)
    runtime.migrate()
    for start in range(0, events, 500):
        with runtime.uow() as uow:
            for n in range(start, min(events, start + 500)):
                uow.emit(events_pb2.PatientRegistered(patient_id=f"p{n}"), key=f"p{n}")
            uow.commit()
    started = time.perf_counter()
    assert runtime.relay.drain(timeout=300)
    elapsed = time.perf_counter() - started
    assert isinstance(runtime.publisher, KafkaPublisher)
    runtime.close()
    return f"outbox relay -> broker, {events} events: {events / elapsed:.0f} events/s (acks=all)"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python "
          f"{platform.python_version()}")
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if os.environ.get("BENCH_POSTGRES_URL"):
        os.environ["TEST_POSTGRES_URL"] = os.environ["BENCH_POSTGRES_URL"]
    if os.environ.get("BENCH_KAFKA_BOOTSTRAP"):
        os.environ["TEST_KAFKA_BOOTSTRAP"] = os.environ["BENCH_KAFKA_BOOTSTRAP"]
    with tempfile.TemporaryDirectory() as tmp, infra.postgres_server() as admin, \
            infra.broker() as broker:
        databases = infra.PostgresDatabases(admin)
        try:
            for kind in kinds:
                (Path(tmp) / kind).mkdir(exist_ok=True)
                url = database_url(kind, Path(tmp) / kind, databases)
                print(f"[{kind}] {bench_create_patient(url, args.calls, args.concurrency, broker.bootstrap, Path(tmp))}")
                url = database_url(kind, Path(tmp) / f"{kind}-relay", databases) \
                    if kind == "postgres" else f"sqlite:///{Path(tmp) / kind / 'relay.db'}"
                print(f"[{kind}] {bench_relay(url, args.events, broker.bootstrap)}")
        finally:
            databases.drop_all()


if __name__ == "__main__":
    main()
