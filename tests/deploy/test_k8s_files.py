"""Kubernetes manifests as committed: parse, reference real files, follow the rules.

These run without kustomize; test_k8s_render.py checks the rendered overlays.
"""

from __future__ import annotations

import re

import pytest

from tests.deploy.invariants import deployment_problems, migration_job_problems
from tests.deploy.support import (
    DEPLOY,
    K8S,
    LOCATION_OVERLAYS,
    SERVICES,
    all_kustomizations,
    auth_names,
    kafka_names,
    kustomization_references,
    load_all,
    load_one,
    read_env_file,
    settings_names,
)


def test_every_yaml_file_under_deploy_parses():
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert len(files) > 20
    for path in files:
        docs = load_all(path)
        assert docs, f"{path} is empty"
        if K8S in path.parents and path.name not in {"kustomization.yaml", "location.yaml",
                                                     "appointment-types.yaml"}:
            for doc in docs:
                assert {"apiVersion", "kind", "metadata"} <= set(doc), path


@pytest.mark.parametrize("directory", all_kustomizations(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_file_a_kustomization_names_exists(directory):
    missing = [str(p) for p in kustomization_references(directory) if not p.exists()]
    assert not missing, f"{directory} names missing files: {missing}"


def test_every_location_file_has_an_overlay_and_every_overlay_a_location_file():
    location_files = sorted(p.stem for p in (DEPLOY / "locations").glob("*.yaml"))
    assert {"la-jolla", "encinitas", "temecula"} <= set(LOCATION_OVERLAYS)
    assert location_files == LOCATION_OVERLAYS
    assert (K8S / "overlays" / "dev" / "kustomization.yaml").is_file()


@pytest.mark.parametrize("location", LOCATION_OVERLAYS)
def test_location_overlay_takes_its_configuration_from_the_location_file(location):
    spec = load_one(K8S / "overlays" / location / "kustomization.yaml")
    assert spec["namespace"] == f"clinic-{location}"
    assert {"clinic/location": location} in [entry["pairs"] for entry in spec["labels"]]
    generator = next(g for g in spec["configMapGenerator"] if g["name"] == "location-config")
    # Inside the overlay's folder: kustomize's default load restrictor allows nothing else.
    assert generator["files"] == ["location.yaml", "appointment-types.yaml"]
    assert "../../components/location" in spec["components"]


@pytest.mark.parametrize("location", LOCATION_OVERLAYS)
def test_overlay_location_file_is_a_current_copy_of_the_source(location):
    """deploy/locations/ is what the dev stack and ops read; the overlay carries a copy."""
    source = DEPLOY / "locations" / f"{location}.yaml"
    copy = K8S / "overlays" / location / "location.yaml"
    assert copy.is_file() and copy.read_text() == source.read_text(), (
        f"{copy.relative_to(DEPLOY.parent)} differs from {source.relative_to(DEPLOY.parent)}: "
        "run `make locations`")


@pytest.mark.parametrize("location", LOCATION_OVERLAYS)
def test_overlay_appointment_type_file_is_a_current_copy_of_the_source(location):
    """deploy/appointment-types.yaml is what the dev stack and ops read; every location
    overlay carries a copy, which its location-apply Job applies before the location."""
    source = DEPLOY / "appointment-types.yaml"
    copy = K8S / "overlays" / location / "appointment-types.yaml"
    assert copy.is_file() and copy.read_text() == source.read_text(), (
        f"{copy.relative_to(DEPLOY.parent)} differs from {source.relative_to(DEPLOY.parent)}: "
        "run `make locations`")


def test_no_kustomization_reads_a_file_outside_its_folder():
    """Plain `kubectl kustomize` / `kubectl apply -k` refuse such files (load restrictor);
    folders (resources, components, transformers) may be anywhere."""
    for directory in all_kustomizations():
        spec = load_one(directory / "kustomization.yaml")
        files = [*spec.get("patchesStrategicMerge", [])]
        files += [p["path"] for p in spec.get("patches", []) if "path" in p]
        for generator in [*spec.get("configMapGenerator", []), *spec.get("secretGenerator", [])]:
            files += [f.split("=", 1)[-1] for f in generator.get("files", [])]
            files += generator.get("envs", [])
        for name in files:
            resolved = (directory / name).resolve()
            assert resolved.is_relative_to(directory), f"{directory}: {name} is outside"


def test_location_overlays_differ_only_in_the_location_name():
    """So a fourth location is a copied folder with the name changed, not new code."""
    def normalized(location: str) -> dict[str, str]:
        folder = K8S / "overlays" / location
        title = location.replace("-", " ").title()
        # location.yaml is the location's own data, checked against its source above.
        return {p.name: p.read_text().replace(location, "LOC").replace(title, "LOC")
                for p in sorted(folder.iterdir()) if p.name != "location.yaml"}

    first, *others = LOCATION_OVERLAYS
    for other in others:
        assert normalized(other) == normalized(first), other


@pytest.mark.parametrize("service", SERVICES)
def test_service_config_files_name_only_settings_the_service_reads(service):
    keys = set(read_env_file(K8S / "base" / service / "config.env"))
    unknown = keys - settings_names(service)
    assert not unknown, f"{service} does not read {unknown}"


def test_kafka_config_files_name_only_kafka_settings():
    for path in [K8S / "base" / "kafka.env", K8S / "components" / "production" / "kafka.env"]:
        unknown = set(read_env_file(path)) - kafka_names()
        assert not unknown, f"{path}: unknown {unknown}"


AUTH_FILES = [K8S / "base" / "auth.env", K8S / "components" / "production" / "auth.env"]


def test_auth_config_files_name_only_auth_settings():
    for path in AUTH_FILES:
        unknown = set(read_env_file(path)) - auth_names()
        assert not unknown, f"{path}: unknown {unknown}"
    base = read_env_file(AUTH_FILES[0])
    assert base["AUTH_JWKS_FILE"].startswith("/etc/clinic/")
    # Production names its identity provider; the base keeps what `clinic-token` issues.
    assert read_env_file(AUTH_FILES[1])["AUTH_ISSUER"] != base["AUTH_ISSUER"]


def test_the_key_set_lives_in_a_secret_that_ops_create_not_in_the_repository():
    """Rotation updates the Secret in place, so its name carries no hash: no generator."""
    for directory in all_kustomizations():
        spec = load_one(directory / "kustomization.yaml")
        names = [g["name"] for g in spec.get("secretGenerator", [])]
        assert "clinic-jwks" not in names, directory
    assert not [p for p in DEPLOY.rglob("*") if p.name in {"jwks.json", "signing.jwk"}]


def _bootstrap_value(path) -> str:
    return read_env_file(path)["KAFKA_BOOTSTRAP_SERVERS"]


def test_kafka_bootstrap_servers_are_host_port_lists():
    for path in [K8S / "base" / "kafka.env", K8S / "components" / "production" / "kafka.env"]:
        for server in _bootstrap_value(path).split(","):
            assert re.fullmatch(r"[a-z0-9.-]+:\d+", server), (path, server)


@pytest.mark.parametrize("service", SERVICES)
def test_base_deployment_meets_the_service_rules(service):
    folder = K8S / "base" / service
    deployment = load_one(folder / "deployment.yaml")
    configmaps = {f"{service}-config": {"data": read_env_file(folder / "config.env")},
                  "clinic-kafka": {"data": read_env_file(K8S / "base" / "kafka.env")},
                  "clinic-auth": {"data": read_env_file(K8S / "base" / "auth.env")}}
    assert deployment_problems(service, SERVICES[service], deployment, configmaps) == []


@pytest.mark.parametrize("service", SERVICES)
def test_base_service_routes_the_grpc_port_to_the_pods(service):
    spec = load_one(K8S / "base" / service / "service.yaml")["spec"]
    assert spec["selector"] == {"app.kubernetes.io/name": service}
    # The gRPC port first (the tls component patches /spec/ports/0), then metrics.
    assert spec["ports"][0] == {"name": "grpc", "port": SERVICES[service], "targetPort": "grpc",
                                "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"}
    assert [p["name"] for p in spec["ports"]] == ["grpc", "metrics"]


def test_rule_checker_catches_a_deployment_that_breaks_the_rules():
    """The checker itself: a Deployment without probes, hardening or limits fails it."""
    deployment = load_one(K8S / "base" / "intake" / "deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    main = pod["containers"][0]
    del main["readinessProbe"], main["resources"]["limits"]
    del main["livenessProbe"]["grpc"]["service"]
    main["securityContext"]["readOnlyRootFilesystem"] = False
    pod["terminationGracePeriodSeconds"] = 10
    configmaps = {"intake-config": {"data": {"INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": "50051"}},
                  "clinic-kafka": {"data": {"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}}}
    problems = "\n".join(deployment_problems("intake", 50051, deployment, configmaps))
    for expected in ["readinessProbe", "readOnlyRootFilesystem", "resources.limits",
                     "livenessProbe asks health for '', not 'liveness'",
                     "terminationGracePeriodSeconds", "INTAKE_HOST", "MIGRATE_ON_START",
                     "AUTH_JWKS_FILE is not set", "AUTH_ISSUER is not set"]:
        assert expected in problems


def test_rule_checker_catches_keys_that_cannot_update_and_tls_behind_plaintext_probes():
    deployment = load_one(K8S / "base" / "intake" / "deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    main = pod["containers"][0]
    auth = read_env_file(K8S / "base" / "auth.env")
    mount = next(m for m in main["volumeMounts"] if m["mountPath"] != "/tmp")
    mount["subPath"] = "jwks.json"
    main["env"] += [{"name": "TLS_CERT_FILE", "value": "/etc/clinic/tls/tls.crt"},
                    {"name": "INTAKE_NO_SUCH_SETTING", "value": "1"}]
    pod["initContainers"] = [{**main, "name": "migrate", "args": ["migrate"]}]
    configmaps = {"intake-config": {"data": read_env_file(K8S / "base" / "intake" / "config.env")},
                  "clinic-kafka": {"data": read_env_file(K8S / "base" / "kafka.env")},
                  "clinic-auth": {"data": auth}}
    problems = "\n".join(deployment_problems("intake", 50051, deployment, configmaps))
    for expected in ["AUTH_JWKS_FILE is mounted with a subPath",
                     "readinessProbe is not an exec probe running grpc-health-check",
                     "TLS_CERT_FILE and TLS_KEY_FILE are not set together",
                     "intake: TLS_CERT_FILE /etc/clinic/tls/tls.crt is on no mounted volume",
                     "an init container runs migrate",
                     "INTAKE_NO_SUCH_SETTING"]:
        assert expected in problems, problems


def test_every_readme_section_a_deploy_file_names_exists():
    """Comments say `deploy/README.md, "Section"`; the section must be a heading there."""
    headings = {line.lstrip("#").strip() for line in (DEPLOY / "README.md").read_text().splitlines()
                if line.startswith("#")}
    pattern = re.compile(r'README\.md,\s*(?:#\s*)?"([^"]+)"')
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file() and p.name != "README.md"):
        text = re.sub(r"\n#\s*", " ", path.read_text(errors="replace"))
        for section in pattern.findall(text):
            assert section in headings, f"{path}: no section {section!r} in deploy/README.md"


@pytest.mark.parametrize("service", SERVICES)
def test_base_migration_job_runs_the_service_image_with_the_migrator_role(service):
    folder = K8S / "base" / service
    job = load_one(folder / "migrate-job.yaml")
    deployment = load_one(folder / "deployment.yaml")
    configmaps = {f"{service}-config": {"data": read_env_file(folder / "config.env")}}
    assert migration_job_problems(service, job, deployment, configmaps) == []
    assert "initContainers" not in deployment["spec"]["template"]["spec"]


def test_rule_checker_catches_a_migration_job_with_the_service_role():
    folder = K8S / "base" / "intake"
    job, deployment = load_one(folder / "migrate-job.yaml"), load_one(folder / "deployment.yaml")
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["env"][0]["valueFrom"]["secretKeyRef"]["name"] = "intake-database"
    container["image"] = "clinic-intake:other"
    job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] = "intake"
    problems = "\n".join(migration_job_problems("intake", job, deployment, {}))
    for expected in ["intake-database-migrator", "different image", "name label"]:
        assert expected in problems, problems
