"""Prometheus metrics of a service: its calls, its outbox, its consumer, its database pool.

Calls are counted as they happen (:class:`MetricsInterceptor`, a link of the
chain). The rest is read when Prometheus scrapes: whether the service is
SERVING, whether the relay's and each consumer's threads run, the relay's
backlog and the age of its oldest unsent event, each consumer's lag per
partition, the database pool's checked-out connections and its capacity. deploy/monitoring/alerts.yaml alerts on these names (a test holds
them to what is exported here). Dead letters are counted by the consumer as it
sends them.

``<SVC>_METRICS_PORT`` (0, the default: off) serves ``/metrics`` over HTTP.
With ``<SVC>_PROCESSES`` above 1 the processes count in prometheus-client's
multiprocess mode: every process writes its counters and histograms to files in
``PROMETHEUS_MULTIPROC_DIR`` (``<data dir>/prometheus`` unless set), and the
first process, the only one serving ``/metrics``, sums them. So a call counts
whichever process served it. The first process empties the folder at start
(files of an earlier run would count twice); the scrape-time figures (outbox,
lag, pool) come from the first process, which runs the relay and consumers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from clinic_common.interceptors import CallInterceptor, _code_name

log = logging.getLogger(__name__)

RPCS = Counter("clinic_rpc_requests", "gRPC calls served, by method and status code",
               ["grpc_service", "grpc_method", "grpc_code"])
RPC_SECONDS = Histogram("clinic_rpc_duration_seconds", "Time serving a gRPC call",
                        ["grpc_service", "grpc_method"],
                        buckets=(.0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
DEAD_LETTERS = Counter("clinic_dead_letters", "Events sent to a dead-letter topic",
                       ["consumer", "topic"])


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The folder the processes share their counts in, when in multiprocess mode."""
    folder = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return Path(folder) if folder else None


def prepare_processes(data_dir: Path) -> Path:
    """In the first of several server processes, before any call is counted: an empty
    folder for every process's counts, named in the environment the extra processes
    inherit, and this process counting into it."""
    folder = multiprocess_dir() or (data_dir / "prometheus").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # an earlier run's counts
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    # prometheus-client picks the value class when it is imported, before the settings
    # were read; the metrics here are labelled, so each value is made on first use.
    if prometheus_values.ValueClass is prometheus_values.MutexValue:
        prometheus_values.ValueClass = prometheus_values.MultiProcessValue()
    return folder


def registry() -> CollectorRegistry:
    """What ``/metrics`` serves: this process's metrics, or in multiprocess mode every
    process's counts summed (and this process's scrape-time figures)."""
    folder = multiprocess_dir()
    if folder is None:
        return REGISTRY
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined, path=str(folder))
    combined.register(SOURCES)
    return combined


class MetricsInterceptor(CallInterceptor):
    """Counts every call by service, method and code, and times it."""

    def intercept(self, call, request, context, proceed):
        service, _, method = call.method.lstrip("/").rpartition("/")
        started = time.perf_counter()
        code = "OK"
        try:
            result = proceed(request, context)
            code = _code_name(context) or "OK"
            return result
        except Exception:
            code = _code_name(context) or "INTERNAL"
            raise
        finally:
            RPCS.labels(service, method, code).inc()
            RPC_SECONDS.labels(service, method).observe(time.perf_counter() - started)


class _Sources(Collector):
    """The services of this process whose state is read at scrape time (tests run several
    services in one process, so this is one collector with a list, not one per service)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._services: dict[str, tuple] = {}

    def watch(self, service: str, relay, consumers, engine, serving=None) -> None:
        """``serving``: what the service's readiness says now (True: SERVING)."""
        with self._lock:
            self._services[service] = (relay, consumers, engine, serving)

    def forget(self, service: str) -> None:
        with self._lock:
            self._services.pop(service, None)

    def collect(self):
        backlog = GaugeMetricFamily("clinic_outbox_backlog", "Outbox events not yet published",
                                    labels=["service"])
        age = GaugeMetricFamily("clinic_outbox_oldest_unsent_age_seconds",
                                "Age of the oldest outbox event not yet published (0: none)",
                                labels=["service"])
        lag = GaugeMetricFamily("clinic_consumer_lag",
                                "Records beyond the consumer group's committed offset",
                                labels=["service", "group", "topic", "partition"])
        pool = GaugeMetricFamily("clinic_db_pool_checked_out",
                                 "Database connections in use", labels=["service"])
        capacity = GaugeMetricFamily("clinic_db_pool_capacity",
                                     "Most database connections the pool opens (its size "
                                     "plus overflow)", labels=["service"])
        workers = GaugeMetricFamily("clinic_worker_running",
                                    "1 while a background worker's thread runs (the outbox "
                                    "relay, each event consumer), else 0",
                                    labels=["service", "worker"])
        serving = GaugeMetricFamily("clinic_serving",
                                    "1 while the service's health is SERVING (started, its "
                                    "database answers, no shutdown), else 0",
                                    labels=["service"])
        with self._lock:
            services = dict(self._services)
        for service, (relay, consumers, engine, ready) in services.items():
            if ready is not None:
                serving.add_metric([service], 1.0 if ready() else 0.0)
            try:
                pending, oldest = relay.outbox_figures()
                backlog.add_metric([service], pending)
                age.add_metric([service], oldest)
            except Exception:  # noqa: BLE001 - the database may be down: no figure then
                log.debug("outbox figures unavailable", exc_info=True)
            if isinstance(getattr(relay, "running", None), bool):
                workers.add_metric([service, "relay"], 1.0 if relay.running else 0.0)
            for consumer in consumers():
                if isinstance(getattr(consumer, "running", None), bool):
                    workers.add_metric([service, f"consumer:{consumer.group_id}"],
                                       1.0 if consumer.running else 0.0)
                for (topic, partition), value in consumer.partition_lag.items():
                    lag.add_metric([service, consumer.group_id, topic, str(partition)], value)
            checked_out = getattr(engine.pool, "checkedout", None)
            if checked_out is not None:
                pool.add_metric([service], checked_out())
            size, overflow = getattr(engine.pool, "size", None), \
                getattr(engine.pool, "_max_overflow", None)
            if callable(size) and isinstance(overflow, int) and overflow >= 0:
                capacity.add_metric([service], size() + overflow)
        yield from (backlog, age, lag, pool, capacity, serving, workers)


SOURCES = _Sources()
REGISTRY.register(SOURCES)


class MetricsEndpoint:
    """A worker serving ``/metrics`` on ``host:port`` and reporting ``service``'s state."""

    def __init__(self, service: str, host: str, port: int, relay, consumers, engine,
                 serving=None):
        self.service = service
        self.address = (host, port)
        self.port = port
        self._sources = (relay, consumers, engine, serving)
        self._server = None

    def start(self) -> None:
        SOURCES.watch(self.service, *self._sources)
        try:
            self._server, _thread = start_http_server(self.address[1], addr=self.address[0],
                                                      registry=registry())
        except OSError as exc:  # metrics are worth a log line, not a service that won't start
            log.error("cannot serve metrics", extra={"port": self.address[1], "error": str(exc)})
            return
        self.port = self._server.server_port
        log.info("serving metrics", extra={"service": self.service, "port": self.port})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        SOURCES.forget(self.service)
