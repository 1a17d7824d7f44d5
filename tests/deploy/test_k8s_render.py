"""Every overlay renders with kustomize, and what it renders is fit to deploy."""

from __future__ import annotations

import copy

import pytest

from tests.deploy.invariants import deployment_problems, service_deployments
from tests.deploy.support import DEPLOY, K8S, LOCATION_OVERLAYS, SERVICES, by_kind, render

OVERLAYS = [*LOCATION_OVERLAYS, "dev"]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request, kustomize) -> tuple[str, list[dict]]:
    return request.param, render(K8S / "overlays" / request.param)


def test_base_renders_the_three_services(kustomize):
    docs = render(K8S / "base")
    assert set(service_deployments(by_kind(docs, "Deployment"))) == set(SERVICES)
    assert set(by_kind(docs, "Service")) == set(SERVICES)


def test_every_service_deployment_is_fit_to_run(rendered):
    overlay, docs = rendered
    deployments = service_deployments(by_kind(docs, "Deployment"))
    assert set(deployments) == set(SERVICES)
    configmaps = by_kind(docs, "ConfigMap")
    for service, port in SERVICES.items():
        assert deployment_problems(service, port, deployments[service], configmaps) == [], service


def test_everything_lands_in_the_overlay_namespace(rendered):
    overlay, docs = rendered
    namespace = f"clinic-{overlay}"
    assert list(by_kind(docs, "Namespace")) == [namespace]
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]


def test_every_referenced_configmap_exists(rendered):
    overlay, docs = rendered
    configmaps = by_kind(docs, "ConfigMap")
    for deployment in by_kind(docs, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in [*pod["containers"], *pod.get("initContainers", [])]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps


@pytest.mark.parametrize("location", LOCATION_OVERLAYS)
def test_location_overlay_labels_pods_and_ships_the_location_file(location, kustomize):
    docs = render(K8S / "overlays" / location)
    deployments = service_deployments(by_kind(docs, "Deployment"))
    for deployment in deployments.values():
        assert deployment["spec"]["template"]["metadata"]["labels"]["clinic/location"] == location
        assert deployment["spec"]["replicas"] == 2
    location_maps = [c for name, c in by_kind(docs, "ConfigMap").items()
                     if name.startswith("location-config-")]
    assert len(location_maps) == 1
    expected = (DEPLOY / "locations" / f"{location}.yaml").read_text()
    assert location_maps[0]["data"] == {"location.yaml": expected}
    pod = deployments["scheduling"]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "location-config")
    assert volume["configMap"]["name"] == location_maps[0]["metadata"]["name"]
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["location-config"]["mountPath"] == "/etc/clinic/location"


@pytest.mark.parametrize("location", LOCATION_OVERLAYS)
def test_location_overlay_uses_the_production_kafka_and_registry(location, kustomize):
    docs = render(K8S / "overlays" / location)
    kafka = next(c for name, c in by_kind(docs, "ConfigMap").items()
                 if name.startswith("clinic-kafka-"))
    assert kafka["data"]["KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"
    assert len(kafka["data"]["KAFKA_BOOTSTRAP_SERVERS"].split(",")) == 3
    for service, deployment in service_deployments(by_kind(docs, "Deployment")).items():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.endswith(f"/clinic-{service}:0.1.0"), image
    budgets = by_kind(docs, "PodDisruptionBudget")
    assert {name: b["spec"]["maxUnavailable"] for name, b in budgets.items()} == \
        dict.fromkeys(SERVICES, 1)


@pytest.mark.parametrize("location", LOCATION_OVERLAYS)
def test_database_urls_are_secret_references_and_no_secret_is_committed(location, kustomize):
    docs = render(K8S / "overlays" / location)
    assert by_kind(docs, "Secret") == {}
    for service, deployment in service_deployments(by_kind(docs, "Deployment")).items():
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        url = next(e for e in env if e["name"] == f"{service.upper()}_DATABASE_URL")
        assert url["valueFrom"]["secretKeyRef"] == {"name": f"{service}-database", "key": "url"}


def test_dev_overlay_brings_its_own_postgres_and_kafka(kustomize):
    docs = render(K8S / "overlays" / "dev")
    deployments = by_kind(docs, "Deployment")
    assert {"postgres", "kafka"} <= set(deployments)
    assert deployments["kafka"]["spec"]["template"]["spec"]["enableServiceLinks"] is False
    secrets = by_kind(docs, "Secret")
    for service, deployment in service_deployments(deployments).items():
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        ref = next(e for e in env if e["name"] == f"{service.upper()}_DATABASE_URL")
        assert ref["valueFrom"]["secretKeyRef"]["name"] in secrets


# The oldest Kubernetes the manifests are written for (gRPC probes, matchLabelKeys).
KUBERNETES_VERSION = "1.30.0"


def test_rendered_manifests_match_the_kubernetes_api_schemas(rendered):
    """Strict: a misspelt or misplaced field fails, as the API server would refuse it."""
    validator = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    overlay, docs = rendered
    for doc in docs:
        validator.validate(doc, KUBERNETES_VERSION, strict=True)
    broken = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpcc"] = {"port": 1}
    with pytest.raises(validator.ValidationError):
        validator.validate(broken, KUBERNETES_VERSION, strict=True)
