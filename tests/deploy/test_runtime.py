"""The image's runtime contract, run here without Docker: the health check command,
a read-only root filesystem, and the PostgreSQL roles script."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from clinic_common.config import TlsSettings
from clinic_common.identity import Role
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import free_port
from clinic_devtools.testing.processes import ServiceProcess
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy.engine import make_url

from tests.deploy.support import DEPLOY, K8S, by_kind, render

HEALTH_CHECK = DEPLOY / "docker" / "grpc_health_check.py"
ROLES_SCRIPT = DEPLOY / "postgres" / "roles.sh"
# Nothing listens on port 1: the relay retries in the background and calls still work.
NO_BROKER = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "INTAKE_CONSUME_EVENTS": "false",
             "INTAKE_SHUTDOWN_GRACE_SECONDS": "1"}


def health_check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The image's ``grpc-health-check``, with ``env`` in place of the test's TLS_*/SERVICE."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TLS_") and k != "SERVICE"}
    return subprocess.run([sys.executable, str(HEALTH_CHECK), *args], capture_output=True,
                          text=True, timeout=30, env={**base, **(env or {})})


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


def test_a_service_without_verification_keys_refuses_to_start(tmp_path):
    """As in an image whose key set is not mounted: exit 2, naming the setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTH_")}
    env.update(NO_BROKER, INTAKE_DATABASE_URL=f"sqlite:///{tmp_path / 'intake.db'}",
               INTAKE_DATA_DIR=str(tmp_path / "data"), INTAKE_PORT=str(free_port()))
    result = subprocess.run([sys.executable, "-m", "clinic_intake", "serve"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "AUTH_JWKS_FILE" in result.stderr


# --- the health check over TLS -------------------------------------------------------

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(folder: Path, stem: str, ca: tuple, names: list[str], usages: list) -> dict[str, str]:
    """A certificate for ``names`` (DNS names or IP addresses) signed by ``ca``."""
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
           for n in names]
    cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"TLS_CERT_FILE": folder / f"{stem}.crt", "TLS_KEY_FILE": folder / f"{stem}.key"}
    paths["TLS_CERT_FILE"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["TLS_KEY_FILE"].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, dict[str, str]]:
    """A CA (TLS_CA_FILE), and certificates as a <svc>-tls Secret would hold them: one for
    the service's name only, one also for 127.0.0.1, one for server authentication only."""
    folder = tmp_path_factory.mktemp("pki")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("clinic CA"))
            .issuer_name(_name("clinic CA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    both = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    return {"ca": {"TLS_CA_FILE": str(folder / "ca.crt")},
            "intake": _issue(folder, "intake", (cert, key), ["intake", "intake.clinic.svc"], both),
            "local": _issue(folder, "local", (cert, key), ["localhost", "127.0.0.1"], both),
            "server_only": _issue(folder, "server-only", (cert, key), ["intake"],
                                  [ExtendedKeyUsageOID.SERVER_AUTH])}


@pytest.fixture
def tls_server(tmp_path):
    """Start a service host serving TLS with the given TLS_* settings; stopped afterwards."""
    hosts = []

    def start(settings: dict[str, str]) -> str:
        tls = TlsSettings(**{k.removeprefix("TLS_").lower(): Path(v) for k, v in settings.items()})
        host = ServiceHost("probe", host="127.0.0.1", port=0, tls=tls,
                           edge=auth.probe_edge(f"sqlite:///{tmp_path / 'probe.db'}"))
        host.start()
        hosts.append(host)
        return f"127.0.0.1:{host.port}"

    yield start
    for host in hosts:
        host.stop()


def _status(result: subprocess.CompletedProcess) -> tuple[int, str]:
    return result.returncode, (result.stdout.split() or [result.stderr])[-1]


def test_health_check_speaks_tls_when_the_settings_name_a_ca_or_certificate(pki, tls_server):
    address = tls_server({**pki["local"]})
    assert _status(health_check(address, env=pki["ca"])) == (0, "SERVING")
    # Without TLS settings it speaks plaintext, which a TLS-only server refuses.
    assert _status(health_check(address, "--timeout", "1")) == (1, "UNAVAILABLE")


def test_health_check_in_a_pod_checks_the_certificate_against_the_service_name(pki, tls_server):
    """The pod's own settings: the certificate names the service, not 127.0.0.1."""
    address = tls_server(pki["intake"])
    pod = {**pki["intake"], **pki["ca"], "SERVICE": "intake"}
    assert _status(health_check(address, env=pod)) == (0, "SERVING")
    no_name = {k: v for k, v in pod.items() if k != "SERVICE"}
    assert _status(health_check(address, "--timeout", "1", env=no_name)) == (1, "UNAVAILABLE")
    assert _status(health_check(address, "--server-name", "intake", env=no_name)) == \
        (0, "SERVING")


def test_health_check_presents_the_pods_certificate_to_a_mutual_tls_server(pki, tls_server):
    pod = {**pki["intake"], **pki["ca"], "SERVICE": "intake"}
    address = tls_server({**pki["intake"], "TLS_CLIENT_CA_FILE": pki["ca"]["TLS_CA_FILE"]})
    assert _status(health_check(address, env=pod)) == (0, "SERVING")
    only_ca = {**pki["ca"], "SERVICE": "intake"}
    assert _status(health_check(address, "--timeout", "1", env=only_ca)) == (1, "UNAVAILABLE")


def test_health_check_with_mutual_tls_needs_a_certificate_for_client_authentication(
        pki, tls_server):
    pod = {**pki["server_only"], **pki["ca"], "SERVICE": "intake"}
    address = tls_server({**pki["server_only"], "TLS_CLIENT_CA_FILE": pki["ca"]["TLS_CA_FILE"]})
    assert _status(health_check(address, "--timeout", "1", env=pod)) == (1, "UNAVAILABLE")


def test_health_check_names_a_setting_it_cannot_use(pki):
    lone = {"TLS_CERT_FILE": pki["intake"]["TLS_CERT_FILE"]}
    result = health_check("127.0.0.1:1", env=lone)
    assert result.returncode == 1 and "TLS_CERT_FILE and TLS_KEY_FILE" in result.stderr
    missing = {"TLS_CA_FILE": "/nonexistent/ca.crt"}
    result = health_check("127.0.0.1:1", env=missing)
    assert result.returncode == 1 and "TLS_CA_FILE" in result.stderr
    result = health_check(env={"SERVICE": "nothing"})
    assert result.returncode == 1 and "SERVICE" in result.stderr


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


def _run_roles(server: dict[str, str], secrets: Path, names: list[str]
               ) -> subprocess.CompletedProcess:
    env = {**os.environ, **server, "CLINIC_SECRETS_DIR": str(secrets),
           "CLINIC_SERVICE_DATABASES": " ".join(names)}
    return subprocess.run(["sh", str(ROLES_SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)


def _drop(server: dict[str, str], names: list[str]) -> None:
    for name in names:
        _psql(server, "postgres", f"drop database if exists {name}")
        for role in (name, f"{name}_migrator"):
            _psql(server, "postgres", f"drop owned by {role} cascade")
            _psql(server, "postgres", f"drop role if exists {role}")


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql")
def test_roles_script_gives_the_migrator_ddl_and_the_service_dml_only(tmp_path, postgres_url):
    """What compose's db-roles job (and ops, with roles.sql) do: the migration runs as
    <svc>_migrator; the service, as <svc>, serves and changes rows but not the schema."""
    server = _server(postgres_url)
    names = [f"roles_{uuid.uuid4().hex[:8]}_{s}" for s in ("a", "b")]
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in names:
        (secrets / f"{name}_db_password").write_text(f"pw-{name}\n")
        (secrets / f"{name}_migrator_db_password").write_text(f"mpw-{name}\n")
    url = make_url(postgres_url)
    try:
        first = _run_roles(server, secrets, names)
        assert first.returncode == 0, first.stderr
        again = _run_roles(server, secrets, names)  # idempotent: a second run changes nothing
        assert again.returncode == 0, again.stderr
        name = names[0]
        owner = _psql(server, "postgres", "select pg_get_userbyid(datdba) from pg_database "
                                          f"where datname = '{name}'")
        assert owner.stdout.strip() == f"{name}_migrator"
        migrator_url = url.set(username=f"{name}_migrator", password=None, database=name)
        service_url = url.set(username=name, password=None, database=name)
        env = {**os.environ, **NO_BROKER,
               "INTAKE_DATABASE_URL": migrator_url.render_as_string(hide_password=False)}
        migrate = subprocess.run([sys.executable, "-m", "clinic_intake", "migrate"], env=env,
                                 capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stderr
        service = ServiceProcess("intake", {
            **NO_BROKER, "INTAKE_MIGRATE_ON_START": "false",
            "INTAKE_DATABASE_URL": service_url.render_as_string(hide_password=False)},
            tmp_path).start(60)
        try:
            assert health_check(service.address).returncode == 0
        finally:
            service.terminate()
        dml = _psql(server, name, "select count(*) from alembic_version", name)
        assert dml.returncode == 0 and dml.stdout.strip() == "1", dml.stderr
        ddl = _psql(server, name, "create table intruder (id int)", name)
        assert ddl.returncode != 0 and "permission denied" in ddl.stderr
        drop = _psql(server, name, "drop table alembic_version", name)
        assert drop.returncode != 0 and "must be owner" in drop.stderr
        other = _psql(server, names[1], "select 1", name)
        assert other.returncode != 0 and "permission denied" in other.stderr
    finally:
        _drop(server, names)


def test_roles_script_refuses_to_run_without_a_password_file(tmp_path):
    env = {**os.environ, "CLINIC_SECRETS_DIR": str(tmp_path),
           "CLINIC_SERVICE_DATABASES": "nopassword", "PGHOST": "127.0.0.1"}
    result = subprocess.run(["sh", str(ROLES_SCRIPT)], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1
    assert f"{tmp_path}/nopassword_db_password is missing or empty" in result.stderr


def test_the_location_apply_job_applies_the_mounted_file_through_the_scheduling_api(
        tmp_path, kustomize):
    """The overlay's Job, run as rendered: its command line, with the files it mounts
    (the location-config ConfigMap, the clinic-ops-token Secret) put where it reads them
    and its target Service name pointed at a scheduling process."""
    docs = render(K8S / "overlays" / "la-jolla")
    job = by_kind(docs, "Job")["scheduling-apply-location"]["spec"]["template"]["spec"]
    container = job["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in job["volumes"]}
    configmap = by_kind(docs, "ConfigMap")[volumes["location-config"]["configMap"]["name"]]
    assert volumes["ops-token"]["secret"]["secretName"] == "clinic-ops-token"
    files = {}  # the pod's paths -> this test's files
    for name, content in (("location-config", configmap["data"]),
                          ("ops-token", {"token": auth.token(Role.OPS, sub="ops-1")})):
        for key, text in content.items():
            local = tmp_path / name / key
            local.parent.mkdir(exist_ok=True)
            local.write_text(text)
            files[f"{mounts[name]}/{key}"] = str(local)
    env = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SCHEDULING_CONSUME_EVENTS": "false",
           "SCHEDULING_DATABASE_URL": f"sqlite:///{tmp_path / 'scheduling.db'}"}
    service = ServiceProcess("scheduling", env, tmp_path).start()
    try:
        assert container["command"][0] == "python"
        command = [sys.executable, *container["command"][1:],
                   *(files.get(a, service.address if a == "scheduling:50052" else a)
                     for a in container["args"])]
        assert service.address in command and not any(a.startswith("/etc/") for a in command)
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith("TLS_") and k != "CLINIC_TOKEN"}
        first = subprocess.run(command, capture_output=True, text=True, timeout=60, env=clean)
        second = subprocess.run(command, capture_output=True, text=True, timeout=60, env=clean)
    finally:
        service.terminate()
    assert first.returncode == 0, first.stderr
    # The appointment types come first (the file matches what the migrations made, so
    # they are unchanged), then the location and its staff.
    lines = first.stdout.splitlines()
    types = [line for line in lines if line.startswith("appointment type ")]
    assert types and all(line.endswith(" unchanged") for line in types), first.stdout
    rest = lines[len(types):]
    assert lines[:len(types)] == types and rest[0] == "la-jolla created", first.stdout
    assert all(line.startswith("staff ") and line.endswith(" created") for line in rest[1:])
    assert second.returncode == 0, second.stderr
    assert all(line.endswith(" unchanged") for line in second.stdout.splitlines())
