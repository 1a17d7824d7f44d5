"""The ops view's figures from a status file, and services that do not answer."""

import json
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import grpc
import pytest
from clinic_client import ops
from clinic_client.cli import app
from clinic_client.connection import Settings
from clinic_devtools.testing.infra import free_port
from grpc_health.v1 import health as grpc_health
from grpc_health.v1 import health_pb2_grpc
from typer.testing import CliRunner


def test_figures_come_from_the_status_file_when_metrics_do_not_answer(tmp_path):
    (tmp_path / "intake-status.json").write_text(json.dumps({
        "service": "intake", "written_at": time.time(),
        "relay": {"backlog": 4, "oldest_unsent_s": 9.5},
        "consumers": [{"group": "intake", "backlog": 2}]}))
    settings = Settings()
    settings.addresses = {name: f"127.0.0.1:{free_port()}" for name in settings.addresses}
    unanswered = {f"CLINIC_{name.upper()}_METRICS_URL": f"http://127.0.0.1:{free_port()}/metrics"
                  for name in settings.addresses}
    rows = {row["service"]: row for row in ops.overview(settings, tmp_path, unanswered)}
    assert {row["health"] for row in rows.values()} == {"UNREACHABLE"}
    intake = rows["intake"]
    assert (intake["outbox_backlog"], intake["oldest_unsent_s"], intake["consumer_lag"]) == \
        (4, 9.5, 2)
    assert intake["source"].startswith("status file")
    assert rows["billing"]["source"] == "none"


METRICS = """# TYPE clinic_outbox_backlog gauge
clinic_outbox_backlog{service="billing"} 5
# TYPE clinic_outbox_oldest_unsent_age_seconds gauge
clinic_outbox_oldest_unsent_age_seconds{service="billing"} 41.26
# TYPE clinic_consumer_lag gauge
clinic_consumer_lag{service="billing",group="billing",topic="clinic.intake.v1",partition="0"} 3
clinic_consumer_lag{service="billing",group="billing",topic="clinic.intake.v1",partition="1"} 4
# TYPE clinic_dead_letters counter
clinic_dead_letters_total{consumer="billing",topic="clinic.intake.v1"} 2
# TYPE clinic_worker_running gauge
clinic_worker_running{service="billing",worker="relay"} 1
clinic_worker_running{service="billing",worker="consumer:billing"} %s
"""


@pytest.fixture
def serving_stack():
    """A gRPC health service answering SERVING, and a /metrics page whose consumer
    worker's state the test sets (``stack.consumer_running``)."""
    health = grpc_health.HealthServicer()
    server = grpc.server(futures.ThreadPoolExecutor(2))
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    stack = SimpleNamespace(consumer_running=1, address=address)

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = (METRICS % stack.consumer_running).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    page = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    stack.metrics_url = f"http://127.0.0.1:{page.server_port}/metrics"
    yield stack
    page.shutdown()
    server.stop(0)


def _env(stack) -> dict[str, str]:
    env = {}
    for name in ("INTAKE", "SCHEDULING", "BILLING"):
        env[f"CLINIC_{name}_ADDRESS"] = stack.address
        env[f"CLINIC_{name}_METRICS_URL"] = stack.metrics_url
    return env


def test_figures_and_workers_come_from_the_metrics_page(serving_stack, tmp_path):
    settings = Settings.from_environment(_env(serving_stack))
    serving_stack.consumer_running = 0
    [row, *_] = ops.overview(settings, tmp_path, _env(serving_stack))
    assert row["health"] == "SERVING" and row["source"] == "metrics"
    assert (row["outbox_backlog"], row["oldest_unsent_s"], row["consumer_lag"],
            row["dead_letters"]) == (5, 41.3, 7, 2)
    assert row["workers"] == "stopped: consumer:billing"
    serving_stack.consumer_running = 1
    assert ops.overview(settings, tmp_path, _env(serving_stack))[0]["workers"] == "running"


def test_clinic_ops_exits_0_when_all_serve_and_run_and_4_when_a_worker_stopped(serving_stack,
                                                                            tmp_path):
    env = {**_env(serving_stack), "CLINIC_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    healthy = CliRunner().invoke(app, ["--json", "ops"], env=env)
    assert healthy.exit_code == 0, healthy.output
    assert {row["workers"] for row in json.loads(healthy.stdout)} == {"running"}
    serving_stack.consumer_running = 0
    stopped = CliRunner().invoke(app, ["ops"], env=env)
    assert stopped.exit_code == 4
    assert "stopped: consumer:billing" in stopped.stdout


def test_the_status_file_names_a_stopped_worker(tmp_path):
    (tmp_path / "billing-status.json").write_text(json.dumps({
        "service": "billing", "written_at": time.time(),
        "relay": {"running": True, "backlog": 0, "oldest_unsent_s": 0},
        "consumers": [{"group": "billing", "running": False, "backlog": 0}]}))
    row = ops.from_status_file(tmp_path / "billing-status.json")
    assert row["workers"] == "stopped: consumer:billing"
    assert ops.from_status_file(tmp_path / "missing.json")["workers"] == "-"
