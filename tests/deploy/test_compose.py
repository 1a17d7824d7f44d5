"""deploy/compose.yaml: one host with Kafka, PostgreSQL and the three services."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from tests.deploy.support import DEPLOY, REPO, SERVICES, kafka_names, load_one, settings_names

COMPOSE = load_one(DEPLOY / "compose.yaml")
SERVICE_DEFS = COMPOSE["services"]


def _grace_seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(s|m)", value).groups()
    return float(number) * (60 if unit == "m" else 1)


def test_compose_runs_kafka_postgres_the_services_and_their_migrations():
    expected = {"kafka", "postgres", *SERVICES, *(f"{s}-migrate" for s in SERVICES)}
    assert set(SERVICE_DEFS) == expected


def test_kafka_runs_apache_kafka_in_kraft_mode():
    kafka = SERVICE_DEFS["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert "zookeeper" not in json.dumps(kafka).lower()
    assert kafka["healthcheck"]["test"]


def test_postgres_15_creates_one_database_per_service_from_the_init_script():
    postgres = SERVICE_DEFS["postgres"]
    assert postgres["image"] == "postgres:15"
    init_mount = next(v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    folder = DEPLOY / init_mount.split(":")[0]
    assert (folder / "10-service-databases.sh").is_file()
    for service in SERVICES:
        assert f"{service.upper()}_DB_PASSWORD" in postgres["environment"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_built_from_its_dockerfile_with_the_repository_as_context(service):
    for name in (service, f"{service}-migrate"):
        build = SERVICE_DEFS[name]["build"]
        assert (DEPLOY / build["context"]).resolve() == REPO
        assert build["dockerfile"] == f"services/{service}/Dockerfile"
    assert SERVICE_DEFS[service]["image"] == SERVICE_DEFS[f"{service}-migrate"]["image"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_env_points_at_its_own_database_kafka_and_listens_on_all_interfaces(service):
    env, prefix, port = SERVICE_DEFS[service]["environment"], service.upper(), SERVICES[service]
    assert re.fullmatch(rf"postgresql\+psycopg://{service}:\$\{{{prefix}_DB_PASSWORD:\?[^}}]+\}}"
                        rf"@postgres:5432/{service}", env[f"{prefix}_DATABASE_URL"])
    assert env[f"{prefix}_HOST"] == "0.0.0.0"
    assert env[f"{prefix}_PORT"] == str(port)
    assert env[f"{prefix}_MIGRATE_ON_START"] == "false"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    unknown = set(env) - settings_names(service) - kafka_names()
    assert not unknown, f"{service} does not read {unknown}"
    assert SERVICE_DEFS[f"{service}-migrate"]["environment"] == env


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
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
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


def test_no_password_is_committed():
    text = (DEPLOY / "compose.yaml").read_text()
    assert re.findall(r"PASSWORD: (\S+)", text) and all(
        value.startswith("${") and ":?" in value for value in re.findall(r"PASSWORD: (\S+)", text))
    example = (DEPLOY / "env.example").read_text()
    assert all(line.endswith("=") for line in example.splitlines() if "PASSWORD" in line
               and not line.startswith("#"))


def test_compose_file_matches_the_compose_specification():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("check_jsonschema", reason="pip install check-jsonschema")
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(COMPOSE, schema)
    broken = {**COMPOSE, "services": {"kafka": {**SERVICE_DEFS["kafka"], "restart": 3}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_scheduling_sees_the_location_files_read_only():
    volumes = SERVICE_DEFS["scheduling"]["volumes"]
    assert "./locations:/etc/clinic/locations:ro" in volumes
    assert sorted((DEPLOY / "locations").glob("*.yaml"))
