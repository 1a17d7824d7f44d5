"""Every overlay renders with kustomize, and what it renders is fit to deploy."""

from __future__ import annotations

import copy
import re
from pathlib import PurePosixPath

import pytest
import yaml
from clinic_common.config import AuthSettings

from tests.deploy.invariants import (
    HEALTH_CHECK_COMMAND,
    container_env,
    deployment_problems,
    migration_job_problems,
    service_deployments,
)
from tests.deploy.support import (
    DEPLOY,
    K8S,
    LOCATION_OVERLAYS,
    SERVICES,
    base_image_tags,
    by_kind,
    load_all,
    read_env_file,
    render,
    render_components,
)

OVERLAYS = [*LOCATION_OVERLAYS, "dev"]
# The registry the production overlays pull from, as the registry transformers set it.
REGISTRY = load_all(K8S / "components" / "production" / "registry" / "images.yaml")[0][
    "imageTag"]["newName"].rsplit("/", 1)[0]


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
    assert location_maps[0]["data"] == {
        "location.yaml": expected,
        "appointment-types.yaml": (DEPLOY / "appointment-types.yaml").read_text()}
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
    tags = base_image_tags()
    for service, deployment in service_deployments(by_kind(docs, "Deployment")).items():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"{REGISTRY}/clinic-{service}:{tags[f'clinic-{service}']}", image
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


def test_every_service_mounts_the_key_set_secret_as_a_folder(rendered):
    """One Secret, clinic-jwks, made by ops in each namespace; mounted whole (no subPath),
    so publishing a key in it reaches running pods and the service re-reads the file."""
    overlay, docs = rendered
    configmaps = by_kind(docs, "ConfigMap")
    for deployment in service_deployments(by_kind(docs, "Deployment")).values():
        pod = deployment["spec"]["template"]["spec"]
        env = container_env(pod["containers"][0], configmaps)
        jwks = PurePosixPath(env["AUTH_JWKS_FILE"])
        mount = next(m for m in pod["containers"][0]["volumeMounts"]
                     if m["mountPath"] == str(jwks.parent))
        assert mount.get("readOnly") is True and "subPath" not in mount
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert volume["secret"]["secretName"] == "clinic-jwks"
        assert volume["secret"]["items"] == [{"key": jwks.name, "path": jwks.name}]
        assert not volume["secret"].get("optional"), "a service without keys does not start"
    assert "clinic-jwks" not in by_kind(docs, "Secret")


def test_location_overlays_trust_the_identity_provider_and_dev_trusts_clinic_token(kustomize):
    production = read_env_file(K8S / "components" / "production" / "auth.env")
    for overlay in OVERLAYS:
        configmaps = by_kind(render(K8S / "overlays" / overlay), "ConfigMap")
        auth = next(c for name, c in configmaps.items() if name.startswith("clinic-auth-"))["data"]
        if overlay == "dev":
            assert auth["AUTH_ISSUER"] == AuthSettings.model_fields["issuer"].default
        else:
            assert auth["AUTH_ISSUER"] == production["AUTH_ISSUER"]
        assert auth["AUTH_AUDIENCE"] == AuthSettings.model_fields["audience"].default


@pytest.fixture(scope="module")
def rendered_tls(tmp_path_factory, kustomize) -> list[dict]:
    """A production location with the tls and mtls components, as an overlay would list them."""
    folder = tmp_path_factory.mktemp("tls-overlay")
    return render_components(folder, "production", "ha", "tls", "mtls")


def test_tls_component_gives_every_service_its_certificate_and_tls_probes(rendered_tls):
    docs = rendered_tls
    configmaps = by_kind(docs, "ConfigMap")
    deployments = service_deployments(by_kind(docs, "Deployment"))
    assert set(deployments) == set(SERVICES)
    for service, deployment in deployments.items():
        assert deployment_problems(service, SERVICES[service], deployment, configmaps) == []
        pod = deployment["spec"]["template"]["spec"]
        main = pod["containers"][0]
        migrate = by_kind(docs, "Job")[f"{service}-migrate"]["spec"]["template"]["spec"][
            "containers"][0]
        env = container_env(main, configmaps)
        assert {name for name in env if name.startswith("TLS_")} == {
            "TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE", "TLS_CLIENT_CA_FILE"}
        folder = PurePosixPath(env["TLS_CERT_FILE"]).parent
        mount = next(m for m in main["volumeMounts"] if m["mountPath"] == str(folder))
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert volume["secret"]["secretName"] == f"{service}-tls"
        assert volume["secret"]["defaultMode"] == 0o440
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert main[probe]["exec"]["command"][0] == HEALTH_CHECK_COMMAND
            assert main[probe]["timeoutSeconds"] >= 5
        assert not any(n.startswith("TLS_") for n in container_env(migrate, configmaps))
    for service in by_kind(docs, "Service").values():
        assert "appProtocol" not in service["spec"]["ports"][0]


def test_tls_component_alone_serves_tls_without_requiring_client_certificates(tmp_path,
                                                                            kustomize):
    docs = render_components(tmp_path, "tls")
    for deployment in service_deployments(by_kind(docs, "Deployment")).values():
        env = container_env(deployment["spec"]["template"]["spec"]["containers"][0],
                            by_kind(docs, "ConfigMap"))
        assert env["TLS_CERT_FILE"] and "TLS_CLIENT_CA_FILE" not in env


def test_tls_manifests_match_the_kubernetes_api_schemas(rendered_tls):
    validator = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    for doc in rendered_tls:
        validator.validate(doc, KUBERNETES_VERSION, strict=True)


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


def test_every_service_has_a_migration_job_with_the_migrator_role(rendered):
    overlay, docs = rendered
    deployments = service_deployments(by_kind(docs, "Deployment"))
    jobs, configmaps = by_kind(docs, "Job"), by_kind(docs, "ConfigMap")
    for service in SERVICES:
        job = jobs[f"{service}-migrate"]
        assert migration_job_problems(service, job, deployments[service], configmaps) == []
        assert "initContainers" not in deployments[service]["spec"]["template"]["spec"]


def test_service_pods_spread_over_nodes_and_zones(rendered):
    overlay, docs = rendered
    for service, deployment in service_deployments(by_kind(docs, "Deployment")).items():
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname",
                                                      "topology.kubernetes.io/zone"}
        for constraint in spread:
            assert constraint["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": service}


def _egress_ports_by_label(policy: dict) -> dict[str, set[int]]:
    """Each egress rule's pod label (key=value) and the ports it opens."""
    result: dict[str, set[int]] = {}
    for rule in policy["spec"]["egress"]:
        ports = {p["port"] for p in rule["ports"]}
        for peer in rule["to"]:
            for key, value in peer.get("podSelector", {}).get("matchLabels", {}).items():
                result.setdefault(f"{key}={value}", set()).update(ports)
            if "ipBlock" in peer:
                result.setdefault(f"ip={peer['ipBlock']['cidr']}", set()).update(ports)
    return result


def test_network_policies_deny_by_default_and_open_only_what_each_pod_needs(rendered):
    overlay, docs = rendered
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    dns = policies["allow-dns"]["spec"]["egress"]
    assert [p["port"] for rule in dns for p in rule["ports"]] == [53, 53]
    callers = policies["grpc-callers"]["spec"]
    assert callers["podSelector"]["matchLabels"] == {"app.kubernetes.io/component": "grpc-service"}
    assert [p["port"] for p in callers["ingress"][0]["ports"]] == ["grpc"]
    for service in SERVICES:
        egress = _egress_ports_by_label(policies[f"{service}-egress"])
        labels = {k for k in egress if not k.startswith("ip=")}
        assert labels == {f"clinic/database-{service}=true", "clinic/broker=true"}
        assert egress[f"clinic/database-{service}=true"] == {5432}
        migrate = _egress_ports_by_label(policies[f"{service}-migrate-egress"])
        assert all(ports == {5432} for ports in migrate.values())
        assert not any("broker" in k for k in migrate)
        if overlay != "dev":
            # Production: the database's and the brokers' addresses, set per cluster.
            assert sum(k.startswith("ip=") for k in egress) == 2
            assert sum(k.startswith("ip=") for k in migrate) == 1


def test_dev_backing_services_accept_only_the_clinic_services(kustomize):
    docs = render(K8S / "overlays" / "dev")
    policies = by_kind(docs, "NetworkPolicy")
    postgres = policies["postgres-ingress"]["spec"]["ingress"]
    assert {tuple(peer["podSelector"]["matchLabels"].items()) for rule in postgres
            for peer in rule["from"]} == {(("app.kubernetes.io/component", "grpc-service"),),
                                          (("app.kubernetes.io/component", "migration"),),
                                          (("app.kubernetes.io/component", "ops"),)}
    kafka = policies["kafka-ingress"]["spec"]["ingress"]
    callers = {tuple(peer["podSelector"]["matchLabels"].items()) for rule in kafka
               for peer in rule["from"]}
    assert callers == {(("app.kubernetes.io/component", "grpc-service"),),
                       (("app.kubernetes.io/component", "ops"),),
                       (("app.kubernetes.io/name", "kafka"),)}
    pods = {name: d["spec"]["template"]["metadata"]["labels"]
            for name, d in by_kind(docs, "Deployment").items()}
    assert pods["kafka"]["clinic/broker"] == "true"
    assert all(pods["postgres"][f"clinic/database-{s}"] == "true" for s in SERVICES)


def test_location_overlays_apply_their_location_file_with_a_job_through_the_scheduling_api(
        rendered):
    """The Job ops run after a deploy: scheduling's image and version, the overlay's location
    file, an ops token from a Secret, hardened like the services, and the network lets it
    reach scheduling's gRPC port and nothing else."""
    overlay, docs = rendered
    jobs, policies = by_kind(docs, "Job"), by_kind(docs, "NetworkPolicy")
    if overlay == "dev":  # no location file: applied from the checkout (deploy/README.md)
        assert "scheduling-apply-location" not in jobs
        assert "scheduling-apply-location-egress" not in policies
        return
    job = jobs["scheduling-apply-location"]
    pod = job["spec"]["template"]["spec"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    [container] = pod["containers"]
    scheduling = service_deployments(by_kind(docs, "Deployment"))["scheduling"]
    main = scheduling["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == main["image"] and ":" in container["image"].rsplit("/", 1)[1]
    assert container["command"] == ["python", "-m", "clinic_scheduling.apply_locations"]
    grpc_port = next(p["containerPort"] for p in main["ports"] if p["name"] == "grpc")
    args = container["args"]
    assert args[args.index("--target") + 1] == f"scheduling:{grpc_port}"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    token_file = PurePosixPath(args[args.index("--token-file") + 1])
    assert volumes[mounts[str(token_file.parent)]]["secret"] == {
        "secretName": "clinic-ops-token", "defaultMode": 0o440}
    location_file = PurePosixPath(args[-1])
    configmap = volumes[mounts[str(location_file.parent)]]["configMap"]["name"]
    data = by_kind(docs, "ConfigMap")[configmap]["data"]
    assert yaml.safe_load(data[location_file.name])["location_id"] == overlay
    # The appointment types, from the same ConfigMap, applied before the location.
    types_file = PurePosixPath(args[-2])
    assert types_file.parent == location_file.parent
    assert [t["code"] for t in yaml.safe_load(data[types_file.name])["appointment_types"]] == \
        [t["code"] for t in yaml.safe_load(
            (DEPLOY / "appointment-types.yaml").read_text())["appointment_types"]]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"] == {"allowPrivilegeEscalation": False,
                                            "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert container["resources"]["limits"] and container["resources"]["requests"]
    # Admitted by grpc-callers as an in-namespace gRPC client ...
    callers = policies["grpc-callers"]["spec"]["ingress"][0]["from"]
    assert any(labels.get(k) == v for peer in callers
               for k, v in peer.get("podSelector", {}).get("matchLabels", {}).items())
    # ... and let out to scheduling's gRPC port only.
    egress = policies["scheduling-apply-location-egress"]["spec"]
    assert egress["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": labels["app.kubernetes.io/name"]}
    assert _egress_ports_by_label(policies["scheduling-apply-location-egress"]) == {
        "app.kubernetes.io/name=scheduling": {grpc_port}}
    assert "namespaceSelector" not in egress["egress"][0]["to"][0]


def test_the_location_apply_job_calls_over_tls_with_the_tls_component(tmp_path, kustomize):
    docs = render_components(tmp_path, "production", "location", "tls", "mtls")
    pod = by_kind(docs, "Job")["scheduling-apply-location"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert set(env) == {"TLS_CA_FILE", "TLS_CERT_FILE", "TLS_KEY_FILE"}
    folder = str(PurePosixPath(env["TLS_CA_FILE"]).parent)
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == folder)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["secret"] == {"secretName": "scheduling-tls", "defaultMode": 0o440}
    # The scheduling certificate names the Service the Job calls.
    assert "scheduling:" in container["args"][container["args"].index("--target") + 1]


def test_the_release_deletes_every_job_whose_template_a_new_version_changes(rendered):
    """A Job's pod template cannot change: the runbook's release step deletes each Job the
    overlay renders (their images carry the version) before applying the new one."""
    overlay, docs = rendered
    readme = (DEPLOY / "README.md").read_text()
    [selector] = re.findall(r"delete job -l 'app\.kubernetes\.io/component in \(([^)]*)\)'",
                            readme)
    deleted = {c.strip() for c in selector.split(",")}
    jobs = by_kind(docs, "Job")
    assert {j["metadata"]["labels"]["app.kubernetes.io/component"] for j in jobs.values()} \
        <= deleted
    # The location-apply Job stays once finished, so an apply does not recreate it.
    assert all("ttlSecondsAfterFinished" not in j["spec"] for name, j in jobs.items()
               if name == "scheduling-apply-location")
