"""Where a call's CPU goes: a call benchmark run under py-spy, summarized.

  python -m benchmarks.profile patient|appointment|consumer [--database sqlite|postgres]

consumer profiles billing applying a backlog of intake's registrations.

py-spy samples the service process only while it holds the interpreter lock
(--gil), so the figures are shares of the CPU the service spends, not of time
spent waiting for the database. Prints the heaviest frames by their own samples
and the project's functions by the samples under them.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from clinic_devtools.testing import infra

from benchmarks import calls, events


def summarize(raw: Path, top: int = 20) -> str:
    own: collections.Counter = collections.Counter()
    under: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue  # a line py-spy was still writing
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            if "clinic_" in frame:
                under[frame] += n
    lines = [f"{total} samples", "own samples:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    lines.append("the project's functions, samples under them:")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in under.most_common(top * 2)]
    return "\n".join(lines)


SPIES: list[threading.Thread] = []


def _spy(spy: str, pid: int, seconds: int, raw: Path) -> None:
    thread = threading.Thread(target=subprocess.run, daemon=True, args=([
        spy, "record", "--pid", str(pid), "--duration", str(seconds), "--format", "raw",
        "--output", str(raw), "--rate", "200", "--nonblocking", "--gil"],),
        kwargs={"capture_output": True})
    thread.start()
    SPIES.append(thread)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("call", choices=["patient", "appointment", "consumer"])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--calls", type=int, default=2500)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory() as tmp, infra.broker() as broker, \
            infra.postgres_server() as admin:
        tmp = Path(tmp)
        databases = infra.PostgresDatabases(admin)
        url = f"sqlite:///{tmp / 'profile.db'}" if args.database == "sqlite" else \
            databases.create("profile")
        raw = tmp / "profile.txt"
        started = calls._service

        def profiled(name, env, log_dir):
            service = started(name, env, log_dir)
            _spy(spy, service.process.pid, args.seconds, raw)
            time.sleep(0.5)
            return service

        if args.call == "consumer":
            try:
                line = _profile_consumer(spy, url, broker.bootstrap, args, raw, tmp)
            finally:
                databases.drop_all()
        else:
            calls._service = profiled
            try:
                run = calls.create_patient if args.call == "patient" else \
                    calls.create_appointment
                result = run(url, args.calls, 64, 16, broker.bootstrap, tmp)
                line = f"{result[0].line()}; {result[1]:.1f} ms CPU per call"
            finally:
                calls._service = started
                databases.drop_all()
        for spying in SPIES:
            spying.join(args.seconds + 30)  # py-spy writes the file when it stops
        print(f"{args.call} on {args.database}: {line}")
        print(summarize(raw))


def _profile_consumer(spy: str, url: str, bootstrap: str, args, raw: Path, tmp: Path) -> str:
    billing = events._Billing(url, bootstrap, tmp)
    count = args.calls * 4
    try:
        billing.send("warm")
        billing.producer.flush()
        billing.wait_for("warm", 1, timeout=120)
        _spy(spy, billing.process.process.pid, args.seconds, raw)
        started = time.perf_counter()
        for n in range(count):
            billing.send(f"tp{n}")
        billing.producer.flush()
        billing.wait_for("tp", count)
        return f"{count / (time.perf_counter() - started):,.0f} events/s on a backlog of {count}"
    finally:
        billing.close()


if __name__ == "__main__":
    main()
