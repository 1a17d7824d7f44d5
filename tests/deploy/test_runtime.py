"""The image's runtime contract, run here without Docker: the health check command,
a read-only root filesystem, and the PostgreSQL init script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import free_port
from clinic_devtools.testing.processes import ServiceProcess
from sqlalchemy.engine import make_url

from tests.deploy.support import DEPLOY, K8S, by_kind, render

HEALTH_CHECK = DEPLOY / "docker" / "grpc_health_check.py"
INIT_SCRIPT = DEPLOY / "postgres" / "init" / "10-service-databases.sh"
# Nothing listens on port 1: the relay retries in the background and calls still work.
NO_BROKER = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "INTAKE_CONSUME_EVENTS": "false",
             "INTAKE_SHUTDOWN_GRACE_SECONDS": "1"}


def health_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HEALTH_CHECK), *args], capture_output=True,
                          text=True, timeout=30)


def test_health_check_passes_while_serving_and_fails_once_stopped(tmp_path):
    env = {**NO_BROKER, "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}"}
    service = ServiceProcess("intake", env, tmp_path).start()
    try:
        serving = health_check(service.address)
        unknown = health_check(service.address, "--service", "clinic.nothing.v1.NoService")
    finally:
        assert service.terminate() == 0
    stopped = health_check(service.address, "--timeout", "1")
    assert (serving.returncode, serving.stdout.split()[-1]) == (0, "SERVING")
    assert (unknown.returncode, unknown.stdout.split()[-1]) == (1, "NOT_FOUND")
    assert (stopped.returncode, stopped.stdout.split()[-1]) == (1, "UNAVAILABLE")


def _read_only_root_available() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           capture_output=True, timeout=10)
    return probe.returncode == 0


# Run a command with / read-only and only the folder given as $0 writable (a tmpfs),
# as the container runs with readOnlyRootFilesystem and an emptyDir on /tmp.
READ_ONLY = ('mount --rbind / / && mount -o remount,bind,ro / && '
             'mount -t tmpfs -o size=16m tmpfs "$0" && cd / && exec "$@"')


@pytest.mark.postgres
@pytest.mark.skipif(not _read_only_root_available(), reason="needs root and unshare --mount")
def test_service_migrates_and_serves_on_a_read_only_root(tmp_path, postgres_url):
    writable = tmp_path / "writable"
    writable.mkdir()
    env = {**os.environ, **auth.env(), **NO_BROKER, "INTAKE_DATABASE_URL": postgres_url,
           "INTAKE_MIGRATE_ON_START": "false", "INTAKE_DATA_DIR": str(writable / "data"),
           "HOME": str(writable), "TMPDIR": str(writable), "PYTHONDONTWRITEBYTECODE": "1"}
    wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY,
               str(writable)]
    denied = subprocess.run([*wrapper, "touch", str(tmp_path / "x")], capture_output=True,
                            text=True, timeout=30)
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr
    migrate = subprocess.run([*wrapper, sys.executable, "-m", "clinic_intake", "migrate"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    env.update(INTAKE_HOST="127.0.0.1", INTAKE_PORT=str(port))
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen([*wrapper, sys.executable, "-m", "clinic_intake", "serve"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        service = ServiceProcess("intake", {}, tmp_path, port=port)
        service.process = process
        service.log_path = tmp_path / "serve.log"
        service.wait_serving(60)
        assert health_check(f"127.0.0.1:{port}").returncode == 0
    finally:
        process.terminate()
        assert process.wait(30) == 0, (tmp_path / "serve.log").read_text()


def _server(postgres_url: str) -> dict[str, str]:
    """libpq variables for the server the fixture found, as the postgres image's entrypoint has."""
    url = make_url(postgres_url)
    return {"PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
            "PGPASSWORD": url.password or "", "POSTGRES_USER": url.username or "postgres"}


def _psql(server: dict[str, str], database: str, sql: str, user: str = "",
          password: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, **server, **({"PGPASSWORD": password} if password else {})}
    return subprocess.run(["psql", "-U", user or server["POSTGRES_USER"], "-d", database, "-tAc",
                           sql], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql")
def test_init_script_gives_each_service_its_own_role_and_database(postgres_url):
    server = _server(postgres_url)
    names = [f"initdb_{uuid.uuid4().hex[:8]}_{s}" for s in ("a", "b")]
    passwords = {n: f"pw-{n}" for n in names}
    env = {**os.environ, **server, "CLINIC_SERVICE_DATABASES": " ".join(names),
           **{f"{n.upper()}_DB_PASSWORD": passwords[n] for n in names}}
    try:
        result = subprocess.run(["sh", str(INIT_SCRIPT)], env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        owner = _psql(server, "postgres", "select pg_get_userbyid(datdba) from pg_database "
                                          f"where datname = '{names[0]}'")
        assert owner.stdout.strip() == names[0]
        own = _psql(server, names[0], "select current_user", names[0], passwords[names[0]])
        assert own.stdout.strip() == names[0], own.stderr
        other = _psql(server, names[1], "select 1", names[0], passwords[names[0]])
        assert other.returncode != 0 and "permission denied" in other.stderr
    finally:
        for name in names:
            _psql(server, "postgres", f"drop database if exists {name}")
            _psql(server, "postgres", f"drop role if exists {name}")


def test_init_script_refuses_to_run_without_a_password():
    env = {**os.environ, "CLINIC_SERVICE_DATABASES": "nopassword", "PGHOST": "127.0.0.1"}
    env.pop("NOPASSWORD_DB_PASSWORD", None)
    result = subprocess.run(["sh", str(INIT_SCRIPT)], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1
    assert "NOPASSWORD_DB_PASSWORD is not set" in result.stderr


def test_location_config_rendered_for_a_cluster_applies_through_the_scheduling_api(
        tmp_path, kustomize):
    """What ops run in the pod: apply_locations on the file the overlay mounts."""
    docs = render(K8S / "overlays" / "la-jolla")
    configmap = next(d for name, d in by_kind(docs, "ConfigMap").items()
                     if name.startswith("location-config-"))
    mounted = tmp_path / "location.yaml"
    mounted.write_text(configmap["data"]["location.yaml"])
    env = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SCHEDULING_CONSUME_EVENTS": "false",
           "SCHEDULING_DATABASE_URL": f"sqlite:///{tmp_path / 'scheduling.db'}"}
    service = ServiceProcess("scheduling", env, tmp_path).start()
    try:
        command = [sys.executable, "-m", "clinic_scheduling.apply_locations", "--target",
                   service.address, str(mounted)]
        ops = {**os.environ, "CLINIC_TOKEN": auth.token(Role.OPS, sub="ops-1")}
        first = subprocess.run(command, capture_output=True, text=True, timeout=60, env=ops)
        second = subprocess.run(command, capture_output=True, text=True, timeout=60, env=ops)
    finally:
        service.terminate()
    assert (first.returncode, first.stdout.strip()) == (0, "la-jolla created"), first.stderr
    assert (second.returncode, second.stdout.strip()) == (0, "la-jolla unchanged"), second.stderr
