"""The ops view: each service's health, its background workers (the outbox relay and
the event consumers: how many of them run), outbox backlog, consumer lag and dead letters.

Health comes from the gRPC health service; the figures from the service's
Prometheus endpoint (``CLINIC_<SVC>_METRICS_URL``, by default
``http://127.0.0.1:9451/metrics`` ... ``9453``, as ``make run`` serves them) and,
where that does not answer, from the status file the service writes in its data
folder (``<data dir>/<svc>-status.json``; no dead-letter count there).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from clinic_client.connection import PORTS, Settings

METRICS_PORTS = {"intake": 9451, "scheduling": 9452, "billing": 9453}
COLUMNS = ("service", "address", "health", "workers", "outbox_backlog", "oldest_unsent_s",
           "consumer_lag", "dead_letters", "source")
ALL_RUNNING = "running"
WORKER = "clinic_worker_running"


def health(settings: Settings, service: str) -> str:
    channel = settings.channel(service)
    try:
        answer = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=2)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    except grpc.RpcError as error:
        return "UNREACHABLE" if error.code() in (grpc.StatusCode.UNAVAILABLE,
                                                 grpc.StatusCode.DEADLINE_EXCEEDED) \
            else error.code().name
    finally:
        channel.close()


def scrape(url: str) -> dict[str, float] | None:
    """Sums per metric name of what ``url`` serves, and each worker's state under
    ``clinic_worker_running:<worker>``; None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
            if sample.name == "clinic_worker_running":
                sums[f"{WORKER}:{sample.labels.get('worker', '?')}"] = sample.value
    return sums


def workers(running: dict[str, bool]) -> str:
    """"running" when every worker runs; else which ones stopped ("-": none reported)."""
    if not running:
        return "-"
    stopped = sorted(name for name, alive in running.items() if not alive)
    return "stopped: " + ", ".join(stopped) if stopped else ALL_RUNNING


def from_metrics(figures: dict[str, float]) -> dict:
    running = {key.split(":", 1)[1]: value == 1 for key, value in figures.items()
               if key.startswith(f"{WORKER}:")}
    return {"workers": workers(running),
            "outbox_backlog": int(figures.get("clinic_outbox_backlog", 0)),
            "oldest_unsent_s": round(figures.get("clinic_outbox_oldest_unsent_age_seconds", 0), 1),
            "consumer_lag": int(figures.get("clinic_consumer_lag", 0)),
            "dead_letters": int(figures.get("clinic_dead_letters_total", 0)),
            "source": "metrics"}


def from_status_file(path: Path) -> dict:
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"workers": "-", "outbox_backlog": "-", "oldest_unsent_s": "-",
                "consumer_lag": "-", "dead_letters": "-", "source": "none"}
    lags = [c.get("backlog") for c in status.get("consumers", [])]
    age = round(time.time() - status.get("written_at", 0))
    running = {f"consumer:{c.get('group', '?')}": bool(c.get("running"))
               for c in status.get("consumers", []) if "running" in c}
    if "running" in status.get("relay", {}):
        running["relay"] = bool(status["relay"]["running"])
    return {"workers": workers(running),
            "outbox_backlog": status.get("relay", {}).get("backlog", "-"),
            "oldest_unsent_s": status.get("relay", {}).get("oldest_unsent_s", "-"),
            "consumer_lag": sum(lags) if lags and None not in lags else "-",
            "dead_letters": "-", "source": f"status file ({age}s old)"}


def overview(settings: Settings, data_dir: Path, environ: Mapping[str, str]) -> list[dict]:
    rows = []
    for service in PORTS:
        url = environ.get(f"CLINIC_{service.upper()}_METRICS_URL",
                          f"http://127.0.0.1:{METRICS_PORTS[service]}/metrics")
        figures = scrape(url)
        row = {"service": service, "address": settings.addresses[service],
               "health": health(settings, service)}
        row.update(from_metrics(figures) if figures is not None else
                   from_status_file(data_dir / f"{service}-status.json"))
        rows.append(row)
    return rows
