"""deploy/compose.yaml: one host with Kafka, PostgreSQL and the three services;
deploy/compose.tls.yaml: the same over TLS."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import PurePosixPath

import pytest

from tests.deploy.support import DEPLOY, REPO, SERVICES, known_names, load_one, tls_names

COMPOSE = load_one(DEPLOY / "compose.yaml")
SERVICE_DEFS = COMPOSE["services"]
TLS_OVERRIDE = load_one(DEPLOY / "compose.tls.yaml")


def _mount_target(volume) -> str:
    return volume["target"] if isinstance(volume, dict) else volume.split(":")[1]


def _mount_for(definition: dict, path: str):
    """The volume of a service definition that holds ``path``, or None."""
    return next((v for v in definition.get("volumes", [])
                 if PurePosixPath(path).is_relative_to(_mount_target(v))), None)


def _grace_seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(s|m)", value).groups()
    return float(number) * (60 if unit == "m" else 1)


def test_compose_runs_kafka_postgres_the_services_and_their_migrations():
    expected = {"kafka", "postgres", "db-roles", *SERVICES, *(f"{s}-migrate" for s in SERVICES)}
    monitoring = {"prometheus", "otel-collector"}  # only with --profile monitoring
    assert set(SERVICE_DEFS) == expected | monitoring
    assert all(SERVICE_DEFS[name]["profiles"] == ["monitoring"] for name in monitoring)
    assert not any("profiles" in SERVICE_DEFS[name] for name in expected)


def test_kafka_runs_apache_kafka_in_kraft_mode():
    kafka = SERVICE_DEFS["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert "zookeeper" not in json.dumps(kafka).lower()
    assert kafka["healthcheck"]["test"]


def test_postgres_15_holds_only_its_own_password_as_a_file():
    postgres = SERVICE_DEFS["postgres"]
    assert postgres["image"] == "postgres:15"
    assert postgres["environment"] == {"POSTGRES_USER": "postgres",
                                       "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password"}
    assert postgres["secrets"] == ["postgres_password"]
    assert not any("initdb" in str(v) for v in postgres["volumes"])


def test_db_roles_job_sets_up_every_database_from_the_secret_files_before_migrations():
    job = SERVICE_DEFS["db-roles"]
    assert job["restart"] == "no"
    assert job["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    mount = next(v for v in job["volumes"] if v.startswith("./postgres:"))
    folder = mount.split(":")[1]
    assert job["command"] == ["sh", f"{folder}/roles.sh"]
    assert (DEPLOY / "postgres" / "roles.sh").is_file()
    expected = {"postgres_password", *(f"{s}_db_password" for s in SERVICES),
                *(f"{s}_migrator_db_password" for s in SERVICES)}
    assert set(job["secrets"]) == expected == set(COMPOSE["secrets"])
    for name, secret in COMPOSE["secrets"].items():
        assert re.fullmatch(rf"\$\{{CLINIC_SECRETS_DIR:\?[^}}]+\}}/{name}", secret["file"])
    for service in SERVICES:
        assert SERVICE_DEFS[f"{service}-migrate"]["depends_on"] == {
            "db-roles": {"condition": "service_completed_successfully"}}


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_built_from_the_one_dockerfile_with_the_repository_as_context(service):
    for name in (service, f"{service}-migrate"):
        build = SERVICE_DEFS[name]["build"]
        assert (DEPLOY / build["context"]).resolve() == REPO
        assert build["dockerfile"] == "services/Dockerfile"
        assert (REPO / build["dockerfile"]).is_file()
        assert build["args"] == {"SERVICE": service}
    assert SERVICE_DEFS[service]["image"] == SERVICE_DEFS[f"{service}-migrate"]["image"]
    assert SERVICE_DEFS[service]["image"].endswith(f"clinic-{service}:${{CLINIC_VERSION:-dev}}")


@pytest.mark.parametrize("service", SERVICES)
def test_service_env_points_at_its_own_database_kafka_and_listens_on_all_interfaces(service):
    env, prefix, port = SERVICE_DEFS[service]["environment"], service.upper(), SERVICES[service]
    assert env[f"{prefix}_DATABASE_URL"] == f"postgresql+psycopg://{service}@postgres:5432/{service}"
    assert env[f"{prefix}_DATABASE_PASSWORD_FILE"] == f"/run/secrets/{service}_db_password"
    assert SERVICE_DEFS[service]["secrets"] == [f"{service}_db_password"]
    assert env[f"{prefix}_HOST"] == "0.0.0.0"
    assert env[f"{prefix}_PORT"] == str(port)
    assert env[f"{prefix}_MIGRATE_ON_START"] == "false"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    unknown = set(env) - known_names(service)
    assert not unknown, f"{service} does not read {unknown}"
    migrate = SERVICE_DEFS[f"{service}-migrate"]
    assert migrate["environment"] == {
        **env, f"{prefix}_DATABASE_URL":
            f"postgresql+psycopg://{service}_migrator@postgres:5432/{service}",
        f"{prefix}_DATABASE_PASSWORD_FILE": f"/run/secrets/{service}_migrator_db_password"}
    assert migrate["secrets"] == [f"{service}_migrator_db_password"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_starts_after_its_migration_and_a_healthy_broker(service):
    definition, port = SERVICE_DEFS[service], SERVICES[service]
    assert definition["command"] == ["serve"]
    assert definition["depends_on"] == {
        f"{service}-migrate": {"condition": "service_completed_successfully"},
        "kafka": {"condition": "service_healthy"}}
    migrate = SERVICE_DEFS[f"{service}-migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db-roles": {"condition": "service_completed_successfully"}}
    assert definition["healthcheck"]["test"] == ["CMD", "grpc-health-check", f"127.0.0.1:{port}"]
    assert definition["ports"][0].endswith(f":{port}:{port}")


@pytest.mark.parametrize("service", SERVICES)
def test_service_containers_are_read_only_non_root_and_stop_gracefully(service):
    for name in (service, f"{service}-migrate"):
        definition = SERVICE_DEFS[name]
        assert definition["read_only"] is True
        assert any(t.startswith("/tmp:") for t in definition["tmpfs"])
        assert not definition["user"].startswith("0")
        assert definition["cap_drop"] == ["ALL"]
    grace = float(SERVICE_DEFS[service]["environment"][f"{service.upper()}_SHUTDOWN_GRACE_SECONDS"])
    assert _grace_seconds(SERVICE_DEFS[service]["stop_grace_period"]) > grace


@pytest.mark.parametrize("service", SERVICES)
def test_service_verifies_tokens_with_the_key_set_mounted_from_the_host(service):
    env = SERVICE_DEFS[service]["environment"]
    assert env["AUTH_ISSUER"] and env["AUTH_AUDIENCE"]
    mount = _mount_for(SERVICE_DEFS[service], env["AUTH_JWKS_FILE"])
    # The folder, read-only and never created empty: a missing folder stops compose, and a
    # key set replaced on the host (by renaming a new file into place) reaches the service.
    assert mount == {"type": "bind", "target": str(PurePosixPath(env["AUTH_JWKS_FILE"]).parent),
                     "source": mount["source"], "read_only": True,
                     "bind": {"create_host_path": False}}
    assert re.fullmatch(r"\$\{CLINIC_AUTH_DIR:\?[^}]+\}", mount["source"])


def test_only_the_serving_containers_mount_keys_and_migrations_need_none():
    for service in SERVICES:
        migrate = SERVICE_DEFS[f"{service}-migrate"]
        assert _mount_for(migrate, migrate["environment"]["AUTH_JWKS_FILE"]) is None


@pytest.mark.parametrize("service", SERVICES)
def test_tls_override_serves_each_service_with_its_own_certificate(service):
    override = TLS_OVERRIDE["services"][service]
    env = override["environment"]
    assert set(env) <= tls_names()
    assert {"TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"} <= set(env)
    folders = {str(PurePosixPath(value).parent) for value in env.values()}
    assert len(folders) == 1
    mount = _mount_for(override, env["TLS_CERT_FILE"])
    assert mount["target"] == folders.pop() and mount["read_only"] is True
    assert re.fullmatch(rf"\$\{{CLINIC_TLS_DIR:\?[^}}]+\}}/{service}", mount["source"])
    # Not where the keys are: both mounts live side by side.
    assert mount["target"] != _mount_target(_mount_for(SERVICE_DEFS[service],
                                                       SERVICE_DEFS[service]["environment"]
                                                       ["AUTH_JWKS_FILE"]))


def test_tls_override_touches_only_the_serving_containers():
    # TLS_* files are checked at start; a migration has no gRPC to protect and no files.
    assert set(TLS_OVERRIDE["services"]) == set(SERVICES)
    for service in SERVICES:
        assert set(TLS_OVERRIDE["services"][service]) == {"environment", "volumes"}


def test_no_password_is_committed_or_put_in_an_environment_variable():
    text = (DEPLOY / "compose.yaml").read_text()
    for name, definition in SERVICE_DEFS.items():
        for key, value in definition.get("environment", {}).items():
            assert "PASSWORD" not in key or key.endswith("_FILE"), (name, key)
            assert "PASSWORD" not in str(value) or str(value).startswith("/run/secrets/"), name
    assert "_DB_PASSWORD" not in text
    example = (DEPLOY / "env.example").read_text()
    assert not [line for line in example.splitlines()
                if "PASSWORD" in line.split("=")[0] and not line.startswith("#")]


def test_compose_file_matches_the_compose_specification():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("check_jsonschema", reason="pip install check-jsonschema")
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(COMPOSE, schema)
    jsonschema.validate(TLS_OVERRIDE, schema)
    broken = {**COMPOSE, "services": {"kafka": {**SERVICE_DEFS["kafka"], "restart": 3}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_scheduling_sees_the_location_files_read_only():
    volumes = SERVICE_DEFS["scheduling"]["volumes"]
    assert "./locations:/etc/clinic/locations:ro" in volumes
    assert "./appointment-types.yaml:/etc/clinic/appointment-types.yaml:ro" in volumes
    assert (DEPLOY / "appointment-types.yaml").is_file()
    assert sorted((DEPLOY / "locations").glob("*.yaml"))
