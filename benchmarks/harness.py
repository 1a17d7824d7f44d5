"""Driving calls from many callers, and reading what the processes used."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc


@dataclass
class Run:
    """What ``callers`` threads making ``calls`` calls measured."""

    calls: int
    seconds: float
    latencies_ms: list[float]
    errors: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return (self.calls - sum(self.errors.values())) / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)

    def line(self) -> str:
        errors = f", errors {dict(self.errors)}" if self.errors else ""
        return f"{self.rate:,.0f}/s p50 {self.p50:.1f} ms p99 {self.p99:.1f} ms{errors}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def drive(call: Callable[[int], object], calls: int, callers: int) -> Run:
    """``calls`` calls of ``call(i)`` (i from 0), ``callers`` at a time, after a warm-up."""
    for i in range(min(callers, 8)):
        call(-1 - i)
    next_index = iter(range(calls))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter = Counter()

    def caller() -> None:
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            started = time.perf_counter()
            try:
                call(i)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
            except grpc.RpcError as error:
                with lock:
                    errors[error.code().name] += 1

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(calls, time.perf_counter() - started, latencies, errors)


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process (and its reaped children) used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])
    import os

    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its live children (a service's extra server processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    return cpu_seconds(pid) + sum(cpu_seconds(k) for k in kids if Path(f"/proc/{k}").exists())


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
