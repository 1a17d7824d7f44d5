"""Runs the benchmarks and reports each figure beside its baseline, measured in the same run.

  python -m benchmarks [--suite all|calls|events|availability|remittance]
                       [--database sqlite|postgres|both] [--calls N] [--callers N]
                       [--events N] [--remittance-claims N] [--write BENCHMARKS.md]

Calls: a bare gRPC echo server of the same server model and client, then CreatePatient
and CreateAppointment at the same number of callers. Events: raw kafka-python produce and
consume on the same broker, then the outbox relay, billing's consumer on a backlog, and
commit-to-effect latency at 50 and 200 events/s. PostgreSQL comes from
BENCH_POSTGRES_URL or the local server; the broker is a tansu subprocess unless
BENCH_KAFKA_BOOTSTRAP names one. Availability: SearchAvailability and BookSeries on a
large schedule (benchmarks/availability.py). Remittance: ImportRemittance of an 835
answering --remittance-claims claims, then twice and four times as many.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
from pathlib import Path

from clinic_devtools.testing import infra

from benchmarks import availability, calls, events, remittance


def _machine() -> str:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return f"{platform.machine()}, {os.cpu_count()} cpus{memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=["all", "calls", "events", "availability", "remittance"],
                        default="all")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--workers", type=int, default=16, help="server threads, as deployed")
    parser.add_argument("--processes", type=int, default=2,
                        help="server processes per service for the second run of each call")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--latency-seconds", type=float, default=15)
    parser.add_argument("--remittance-claims", type=int, default=10_000,
                        help="claims of the smallest 835 (then 2x and 4x)")
    parser.add_argument("--write", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if os.environ.get("BENCH_POSTGRES_URL"):
        os.environ["TEST_POSTGRES_URL"] = os.environ["BENCH_POSTGRES_URL"]
    if os.environ.get("BENCH_KAFKA_BOOTSTRAP"):
        os.environ["TEST_KAFKA_BOOTSTRAP"] = os.environ["BENCH_KAFKA_BOOTSTRAP"]
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    lines = [f"machine: {_machine()}",
             f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
             f"command: python -m benchmarks --suite {args.suite} --database {args.database} "
             f"--calls {args.calls} "
             f"--callers {args.callers} --workers {args.workers} --events {args.events} "
             f"--remittance-claims {args.remittance_claims}", ""]

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    for line in lines:
        print(line)
    with tempfile.TemporaryDirectory() as tmp, infra.postgres_server() as admin, \
            infra.broker() as broker:
        databases = infra.PostgresDatabases(admin)
        tmp = Path(tmp)

        def url(kind: str, label: str) -> str:
            if kind == "sqlite":
                (tmp / kind).mkdir(exist_ok=True)
                return f"sqlite:///{tmp / kind / label}.db"
            return databases.create(label)

        try:
            if args.suite in ("all", "calls"):
                echo = calls.echo_baseline(args.calls * 4, args.callers, args.workers)
                say(f"echo baseline ({args.callers} callers): {echo.line()}")
                for kind in kinds:
                    for processes in sorted({1, args.processes}):
                        label = f"[{kind}, {processes} process{'es' if processes > 1 else ''}]"
                        run, cpu, memory = calls.create_patient(
                            url(kind, f"intake{processes}"), args.calls, args.callers,
                            args.workers, broker.bootstrap, tmp, processes)
                        say(f"{label} CreatePatient: {run.line()}; {run.rate / echo.rate:.1%} of "
                            f"echo; {cpu:.1f} ms CPU per call; peak {memory:.0f} MiB")
                        run, cpu, memory, overlaps = calls.create_appointment(
                            url(kind, f"scheduling{processes}"), args.calls, args.callers,
                            args.workers, broker.bootstrap, tmp, processes)
                        say(f"{label} CreateAppointment: {run.line()}; {run.rate / echo.rate:.1%} "
                            f"of echo; {cpu:.1f} ms CPU per booking; peak {memory:.0f} MiB; "
                            f"overlapping bookings {overlaps}")
            if args.suite in ("all", "events"):
                produced, consumed = events.raw_produce_consume(broker.bootstrap, args.events)
                say(f"raw kafka-python: produce {produced:,.0f}/s, consume {consumed:,.0f}/s")
                for kind in kinds:
                    rate = events.relay(url(kind, "relay"), broker.bootstrap, args.events)
                    say(f"[{kind}] outbox relay: {rate:,.0f} events/s ({rate / produced:.0%} of raw "
                        "produce)")
                    rate = events.consumer_throughput(url(kind, "billing"), broker.bootstrap,
                                                      args.events, tmp)
                    say(f"[{kind}] billing consumer on a backlog: {rate:,.0f} events/s "
                        f"({rate / consumed:.0%} of raw consume)")
                    for per_second in (50, 200):
                        p50, p99 = events.commit_to_effect(url(kind, f"lat{per_second}"),
                                                           broker.bootstrap, per_second,
                                                           args.latency_seconds, tmp)
                        say(f"[{kind}] commit to effect at {per_second} events/s: p50 {p50:.0f} ms, "
                            f"p99 {p99:.0f} ms")
            if args.suite in ("all", "availability"):
                for kind in kinds:
                    for line in availability.run(url(kind, "availability"), broker.bootstrap,
                                                 tmp):
                        say(f"[{kind}] {line}")
            if args.suite in ("all", "remittance"):
                remittance.suite(kinds, url, args.remittance_claims, tmp, say)
        finally:
            databases.drop_all()
    if args.write:
        args.write.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
