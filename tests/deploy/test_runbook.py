"""The runbook in deploy/README.md, run as written where it can run here: backup and
restore with pg_dump / pg_restore and the outbox replay after it, rotating token keys
and database passwords, the clinic-ops Job for Kubernetes and clinic-ops in compose,
and every README section the deployment files (and the README itself) refer to."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import grpc
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.deploy.invariants import service_deployments
from tests.deploy.support import (
    DEPLOY,
    K8S,
    LOCATION_OVERLAYS,
    REPO,
    SERVICES,
    by_kind,
    load_one,
    render,
)

README = DEPLOY / "README.md"
BIN = Path(sys.executable).parent
JOB_MAKER = K8S / "ops" / "job-from-deployment.jq"
KUBERNETES_VERSION = "1.30.0"
VALUE = r"(?:\$\([^)]*\)|[^\s$]\S*)"
ASSIGNMENTS = re.compile(rf"^[A-Z_]+={VALUE}(?: [A-Z_]+={VALUE})*$")


# --- the README's blocks ---------------------------------------------------------------

def section(heading: str) -> str:
    """The text under ``heading`` in deploy/README.md, up to the next heading."""
    lines = README.read_text().splitlines()
    fenced, marks = False, []
    for i, line in enumerate(lines):  # headings outside code blocks (a shell comment is none)
        fenced = fenced != line.startswith("```")
        if not fenced and not line.startswith("```") and re.match(r"#{1,4} ", line):
            marks.append(i)
    start = next(i for i in marks if lines[i].lstrip("#").strip() == heading)
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    end = next((i for i in marks if i > start
                and len(lines[i]) - len(lines[i].lstrip("#")) <= level), len(lines))
    return "\n".join(lines[start + 1:end])


def blocks(heading: str) -> list[str]:
    """The ```sh blocks of a section, in order."""
    return re.findall(r"```sh\n(.*?)```", section(heading), re.S)


def without_assignments(block: str, names: set[str]) -> str:
    """The block without its first line when that line only sets ``names`` (the test
    gives their values instead); fails when the README sets other variables there."""
    first, _, rest = block.partition("\n")
    assert ASSIGNMENTS.match(first), f"the block does not start by setting variables: {first}"
    assert set(re.findall(r"(?:^| )([A-Z_]+)=", first)) == names, first
    return rest


def bash(script: str, env: dict[str, str], cwd: Path | None = None
         ) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=environment,
                          cwd=cwd or REPO, capture_output=True, text=True, timeout=180)


def libpq(admin_url: str) -> dict[str, str]:
    url = make_url(admin_url)
    return {"PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
            "PGUSER": url.username or "postgres", "PGPASSWORD": url.password or ""}


needs_pg_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pg_dump", "pg_restore", "dropdb", "createdb", "psql")),
    reason="needs the PostgreSQL client tools")


# --- README references ------------------------------------------------------------------

def headings() -> set[str]:
    lines, fenced, found = README.read_text().splitlines(), False, set()
    for line in lines:
        fenced = fenced != line.startswith("```")
        if not fenced and re.match(r"#{1,6} ", line):
            found.add(line.lstrip("#").strip())
    return found


def test_every_readme_reference_in_the_deployment_files_names_a_section_that_exists():
    """A comment naming deploy/README.md names its section, and the section is there."""
    pattern = re.compile(r'(?:deploy/)?README\.md(?:,\s*"([^"]+)")?')
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file() and p.name != "README.md"):
        text_ = re.sub(r"\n\s*#\s*", " ", path.read_text(errors="replace"))
        for match in pattern.finditer(text_):
            if "services/" in text_[max(0, match.start() - 30):match.start()]:
                continue  # a service's README, not this one
            assert match.group(1), f"{path}: names deploy/README.md without a section"
            assert match.group(1) in headings(), \
                f"{path}: no section {match.group(1)!r} in deploy/README.md"


def test_every_see_section_in_the_readme_exists():
    text_ = re.sub(r"\s+", " ", README.read_text())
    referenced = set(re.findall(r'\(see "([^"]+)"', text_)) | \
        set(re.findall(r'see "([^"]+)"', text_)) | \
        set(re.findall(r'as in "([^"]+)"', text_))
    assert referenced, "the reader finds the references"
    # "How events flow" is the top-level README's.
    missing = referenced - headings() - {"How events flow"}
    assert not missing, f"deploy/README.md refers to missing sections {sorted(missing)}"
    assert "How events flow" in {line.lstrip("#").strip() for line in
                                 (REPO / "README.md").read_text().splitlines()}


# --- backup, restore and the replay after it -------------------------------------------

def _scram_matches(verifier: str, password: str) -> bool:
    """Whether a pg_authid SCRAM-SHA-256 verifier was made from ``password``."""
    method, _, rest = verifier.partition("$")
    iterations_salt, _, keys = rest.partition("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt),
                                 int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    return method == "SCRAM-SHA-256" and \
        base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key and \
        base64.b64encode(server).decode() == server_key


def _status(folder: Path) -> dict:
    path = folder / "billing-status.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.mark.postgres
@pytest.mark.broker
@pytest.mark.e2e
@needs_pg_tools
def test_backup_restore_and_replay_leave_the_consumer_effect_single(
        postgres_databases, kafka_settings, tmp_path):
    from clinic.intake.v1 import intake_service_pb2 as intake_pb
    from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
    from clinic.intake.v1 import patient_pb2
    from clinic_devtools.testing.processes import ServiceProcess

    from tests.e2e.conftest import eventually

    kafka = {"KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
             "KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
             "KAFKA_MAX_POLL_INTERVAL_MS": "5000", "KAFKA_SESSION_TIMEOUT_MS": "6000",
             "KAFKA_HEARTBEAT_INTERVAL_MS": "1000", "KAFKA_RELAY_POLL_INTERVAL_MS": "100",
             "KAFKA_RELAY_MAX_BACKOFF_MS": "1000", "KAFKA_CONSUMER_RETRY_BACKOFF_MS": "50"}
    intake_url, billing_url = postgres_databases.create("intake"), \
        postgres_databases.create("billing")
    billing_dir = tmp_path / "billing"
    intake_env = {**kafka, "INTAKE_DATABASE_URL": intake_url,
                  "INTAKE_DATA_DIR": str(tmp_path / "intake")}
    intake = ServiceProcess("intake", intake_env, tmp_path).start(60)
    billing = ServiceProcess("billing", {**kafka, "BILLING_DATABASE_URL": billing_url,
                                         "BILLING_DATA_DIR": str(billing_dir)},
                             tmp_path).start(60)
    billing_db = create_engine(billing_url)
    database = make_url(intake_url).database
    server = libpq(postgres_databases.admin_url)
    try:
        patient = patient_pb2.Patient(given_name="Restore", family_name=uuid.uuid4().hex[:8])
        patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = \
            1980, 1, 2
        with intake.channel() as channel:
            patient_id = intake_grpc.IntakeServiceStub(channel).CreatePatient(
                intake_pb.CreatePatientRequest(patient=patient)).patient.patient_id

        def billing_rows():
            with billing_db.connect() as db:
                inbox = db.execute(text(
                    "select event_id from inbox where event_type like '%PatientRegistered'"
                )).all()
                accounts = db.execute(text("select * from accounts where patient_id = :p"),
                                      {"p": patient_id}).all()
            return inbox, accounts

        before = eventually(lambda: (lambda rows: rows if rows[1] else None)(billing_rows()))
        assert len(before[0]) == 1 and len(before[1]) == 1
        processed = eventually(lambda: (_status(billing_dir).get("consumers") or [{}])[0]
                               .get("processed"))

        # Backup (the README's block as written, with this test's database and folder).
        backup = without_assignments(blocks("Backup and restore")[0], {"DB", "BACKUP_DIR"})
        dumped = bash(backup, {**server, "DB": database, "BACKUP_DIR": str(tmp_path)})
        assert dumped.returncode == 0, dumped.stderr
        (dump,) = tmp_path.glob(f"{database}-*.dump")

        # Lose the database, restore it from the dump (the service stopped first).
        assert intake.terminate() == 0
        restore = without_assignments(blocks("Backup and restore")[1], {"DB", "OWNER", "DUMP"})
        restored = bash(restore, {**server, "DB": database, "OWNER": server["PGUSER"],
                                  "DUMP": str(dump)})
        assert restored.returncode == 0, restored.stderr
        intake = ServiceProcess("intake", intake_env, tmp_path, port=intake.port).start(60)
        with intake.channel() as channel:
            again = intake_grpc.IntakeServiceStub(channel).GetPatient(
                intake_pb.GetPatientRequest(name=f"patients/{patient_id}")).patient
        assert again.family_name == patient.family_name  # the restored data serves

        # The replay that follows a restore.
        (replay,) = blocks("Replaying events after a restore")
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
        replayed = bash(replay, {**intake_env, "SINCE": since})
        assert replayed.returncode == 0, replayed.stderr
        assert json.loads(replayed.stdout)["replayed"] >= 1

        # The consumer read the replayed event, and skipped it: one inbox row, one account,
        # unchanged.
        eventually(lambda: (_status(billing_dir).get("consumers") or [{}])[0]
                   .get("processed", 0) > processed, timeout=60)
        assert billing_rows() == before
    finally:
        billing_db.dispose()
        intake.terminate()
        billing.terminate()


# --- rotating database passwords ---------------------------------------------------------

@pytest.mark.postgres
@needs_pg_tools
def test_alter_role_sets_the_new_password_and_the_service_reads_it_from_its_file(
        postgres_databases, tmp_path):
    from clinic_common.config import load
    from clinic_intake.config import IntakeSettings

    server = libpq(postgres_databases.admin_url)
    role = f"rotate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_databases.admin_url, isolation_level="AUTOCOMMIT")

    def verifier() -> str:
        with admin.connect() as db:
            return db.execute(text("select rolpassword from pg_authid where rolname = :r"),
                              {"r": role}).scalar_one()

    (kubernetes,) = [b for b in blocks("Rotating database passwords") if "ALTER ROLE" in b]
    alter = without_assignments(kubernetes, {"ROLE", "NEW_PASSWORD"})
    alter = alter[:alter.index("\nSQL\n") + len("\nSQL\n")]  # up to the end of the psql call
    secret = re.search(r"kubectl -n \S+ create secret generic .*?--dry-run=client -o yaml",
                       kubernetes, re.S).group(0)
    try:
        with admin.connect() as db:
            db.execute(text(f"create role {role} login password 'first-password'"))
        assert _scram_matches(verifier(), "first-password")
        new = "n3w-" + uuid.uuid4().hex
        changed = bash(alter, {**server, "ROLE": role, "NEW_PASSWORD": new})
        assert changed.returncode == 0, changed.stderr
        assert _scram_matches(verifier(), new) and not _scram_matches(verifier(), "first-password")
        # A quote in a password is data, not SQL.
        odd = "it's; drop role postgres"
        assert bash(alter, {**server, "ROLE": role, "NEW_PASSWORD": odd}).returncode == 0
        assert _scram_matches(verifier(), odd)
    finally:
        with admin.connect() as db:
            db.execute(text(f"drop role if exists {role}"))
        admin.dispose()
    # The Secret the block writes (kubectl renders it without a cluster).
    if shutil.which("kubectl") or (BIN / "kubectl").exists():
        made = bash(secret, {"NEW_PASSWORD": new})
        assert made.returncode == 0, made.stderr
        document = load_one_text(made.stdout)
        url = base64.b64decode(document["data"]["url"]).decode()
        assert (document["metadata"]["name"], make_url(url).password) == ("intake-database", new)
    # Compose: the service reads the rewritten file at start.
    password_file = tmp_path / "intake_db_password"
    password_file.write_text("old\n")
    env = {"INTAKE_DATABASE_URL": "postgresql+psycopg://intake@db:5432/intake",
           "INTAKE_DATABASE_PASSWORD_FILE": str(password_file)}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        assert make_url(load(IntakeSettings).resolved_database_url).password == "old"
        password_file.write_text(new + "\n")
        assert make_url(load(IntakeSettings).resolved_database_url).password == new


def load_one_text(document: str) -> dict:
    import yaml

    return yaml.safe_load(document)


# --- rotating token signing keys ---------------------------------------------------------

def test_rotating_the_signing_key_keeps_old_tokens_until_the_key_is_withdrawn(tmp_path):
    from clinic.intake.v1 import intake_service_pb2 as intake_pb
    from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
    from clinic_devtools.testing.processes import ServiceProcess

    if not shutil.which("jq"):
        pytest.skip("needs jq")
    (block,) = blocks("Rotating token signing keys")
    lines = block.splitlines()
    first, rotate, rest = lines[0], lines[1], "\n".join(lines[2:])
    env = {"DATA": str(tmp_path)}

    def issue() -> str:
        made = bash('clinic-token --data-dir "$DATA" issue --sub ops-1 --role ADMIN --ttl 15m',
                    env)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    assert bash(first, env).returncode == 0
    old_token = issue()
    service = ServiceProcess("intake", {
        "INTAKE_DATA_DIR": str(tmp_path / "intake"), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "AUTH_JWKS_FILE": str(tmp_path / "auth" / "jwks.json")}, tmp_path,
        test_key=False).start(60)

    def answers(token: str) -> bool:
        with grpc.insecure_channel(service.address) as channel:
            try:
                intake_grpc.IntakeServiceStub(channel).ListPatients(
                    intake_pb.ListPatientsRequest(), timeout=5,
                    metadata=[("authorization", f"Bearer {token}")])
                return True
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
                return False

    def within(check, seconds: float = 30) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if check():
                return True
            time.sleep(0.5)
        return False

    try:
        assert answers(old_token)
        rotated = bash(rotate, env)
        assert rotated.returncode == 0, rotated.stderr
        new_token = issue()
        assert within(lambda: answers(new_token)), "the new key was not picked up"
        assert answers(old_token), "an old token stops working before its key is withdrawn"
        withdrawn = bash(rest, env)
        assert withdrawn.returncode == 0, withdrawn.stderr
        kids = [k["kid"] for k in json.loads((tmp_path / "auth" / "jwks.json").read_text())["keys"]]
        assert len(kids) == 1
        assert within(lambda: not answers(old_token)), "the withdrawn key still verifies"
        assert answers(new_token)
    finally:
        assert service.terminate() == 0


# --- clinic-ops in Kubernetes and compose -----------------------------------------------

def job_from(deployment: dict, args: str) -> dict:
    made = subprocess.run(["jq", "-f", str(JOB_MAKER), "--arg", "args", args],
                          input=json.dumps(deployment), capture_output=True, text=True,
                          timeout=30)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


@pytest.mark.skipif(not shutil.which("jq"), reason="needs jq")
@pytest.mark.parametrize("overlay", [*LOCATION_OVERLAYS, "dev"])
def test_the_clinic_ops_job_is_the_deployment_running_clinic_ops(overlay, kustomize):
    validator = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    from clinic_common import ops

    (block,) = [b for b in blocks("Running clinic-ops") if "job-from-deployment.jq" in b]
    documented = re.search(r'--arg args "([^"]+)"', block).group(1)
    for other in re.findall(r'--arg args "([^"]+)"', re.sub(r"\s+", " ",
                                                            section("Running clinic-ops"))):
        ops.parser().parse_args(other.split())  # the dead-letter examples too
    docs = render(K8S / "overlays" / overlay)
    policies = by_kind(docs, "NetworkPolicy")
    for service, deployment in service_deployments(by_kind(docs, "Deployment")).items():
        args = documented.replace("intake", service)
        job = job_from(deployment, args)
        validator.validate(job, KUBERNETES_VERSION, strict=True)
        pod = job["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        served = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["clinic-ops"] and container["args"] == args.split()
        ops.parser().parse_args(container["args"])  # arguments clinic-ops takes
        for same in ("image", "env", "envFrom", "volumeMounts", "securityContext",
                     "resources"):
            assert container.get(same) == served.get(same), same
        assert pod["volumes"] == deployment["spec"]["template"]["spec"]["volumes"]
        assert pod["restartPolicy"] == "Never"
        assert not {"ports", "readinessProbe", "livenessProbe", "startupProbe"} & set(container)
        labels = pod_labels = job["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["app.kubernetes.io/name"] == f"{service}-ops"
        # Never behind the service's Service or PodDisruptionBudget.
        selector = by_kind(docs, "Service")[service]["spec"]["selector"]
        assert not all(labels.get(k) == v for k, v in selector.items())
        assert not any(labels.get(k) == v for k, v in
                       policies["grpc-callers"]["spec"]["podSelector"]["matchLabels"].items())
        egress = policies[f"{service}-ops-egress"]["spec"]
        assert egress["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": f"{service}-ops"}
        ports = {p["port"] for rule in egress["egress"] for p in rule["ports"]}
        assert ports == {5432, 9092}
        if overlay != "dev":  # the database's and the brokers' addresses, as the service's
            blocks_ = {peer["ipBlock"]["cidr"] for rule in egress["egress"]
                       for peer in rule["to"] if "ipBlock" in peer}
            served_blocks = {peer["ipBlock"]["cidr"] for rule in
                             policies[f"{service}-egress"]["spec"]["egress"]
                             for peer in rule["to"] if "ipBlock" in peer}
            assert blocks_ == served_blocks and len(blocks_) == 2
    broken = copy.deepcopy(job)
    broken["spec"]["template"]["spec"]["containers"][0]["argz"] = []
    with pytest.raises(validator.ValidationError):
        validator.validate(broken, KUBERNETES_VERSION, strict=True)


def test_compose_runs_clinic_ops_in_a_service_container_with_its_settings():
    compose = load_one(DEPLOY / "compose.yaml")
    commands = [line for b in blocks("Running clinic-ops") for line in b.splitlines()
                if line.startswith("docker compose")]
    assert commands
    for command in commands:
        words = command.split()
        assert words[:6] == ["docker", "compose", "-f", "deploy/compose.yaml", "run", "--rm"]
        assert "--entrypoint" in words and words[words.index("--entrypoint") + 1] == "clinic-ops"
        container, subcommand = words[words.index("--entrypoint") + 2:][:2]
        assert container in SERVICES and subcommand in {"outbox", "replay", "dlq"}
        if subcommand in {"outbox", "replay"}:  # needs the service's own package
            assert words[words.index("--entrypoint") + 4] == container
        env = compose["services"][container]["environment"]
        prefix = container.upper()
        assert {f"{prefix}_DATABASE_URL", f"{prefix}_DATABASE_PASSWORD_FILE",
                "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_TOPIC_PREFIX"} <= set(env)
    # The images carry clinic-ops: services/common declares it and every image installs it.
    common = (REPO / "services" / "common" / "pyproject.toml").read_text()
    assert 'clinic-ops = "clinic_common.ops:main"' in common
    assert "./services/common" in (REPO / "services" / "Dockerfile").read_text()
    # And the commands' arguments are ones clinic-ops takes.
    from clinic_common import ops

    for command in commands:
        words = command.split()
        ops.parser().parse_args(words[words.index("--entrypoint") + 3:])


@pytest.mark.postgres
@needs_pg_tools
def test_db_roles_sets_a_rewritten_password_file_on_the_role(postgres_databases, tmp_path):
    """Compose's rotation: a new password file, then `run --rm db-roles` (roles.sh)."""
    server = libpq(postgres_databases.admin_url)
    name = f"rot_{uuid.uuid4().hex[:8]}"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / f"{name}_db_password").write_text("first\n")
    (secrets / f"{name}_migrator_db_password").write_text("migrator\n")
    env = {**server, "POSTGRES_USER": server["PGUSER"], "CLINIC_SECRETS_DIR": str(secrets),
           "CLINIC_SERVICE_DATABASES": name}
    admin = create_engine(postgres_databases.admin_url, isolation_level="AUTOCOMMIT")

    def verifier() -> str:
        with admin.connect() as db:
            return db.execute(text("select rolpassword from pg_authid where rolname = :r"),
                              {"r": name}).scalar_one()

    try:
        assert bash(f"sh {DEPLOY / 'postgres' / 'roles.sh'}", env).returncode == 0
        assert _scram_matches(verifier(), "first")
        (secrets / f"{name}_db_password").write_text("second\n")
        again = bash(f"sh {DEPLOY / 'postgres' / 'roles.sh'}", env)
        assert again.returncode == 0, again.stderr
        assert _scram_matches(verifier(), "second") and not _scram_matches(verifier(), "first")
    finally:
        with admin.connect() as db:
            db.execute(text(f'drop database if exists "{name}" with (force)'))
            for role in (name, f"{name}_migrator"):
                db.execute(text(f'drop owned by "{role}" cascade'))
                db.execute(text(f'drop role if exists "{role}"'))
        admin.dispose()
