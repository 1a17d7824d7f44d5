"""Monitoring: the alert rules (valid rule files, using only metrics the services export),
Prometheus' scrape configurations, the OpenTelemetry collector example, and how the
manifests and compose expose metrics and send traces."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.invariants import container_env, service_deployments
from tests.deploy.support import (
    DEPLOY,
    K8S,
    LOCATION_OVERLAYS,
    SERVICES,
    by_kind,
    load_one,
    read_env_file,
    render,
)

MONITORING = DEPLOY / "monitoring"
ALERTS = MONITORING / "alerts.yaml"
RULES_SCHEMA = Path(__file__).parent / "schemas" / "prometheus-rules.schema.json"
METRICS_PORTS = {"intake": 9451, "scheduling": 9452, "billing": 9453}
# Series Prometheus makes itself for every target.
PROMETHEUS_OWN = {"up"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "Inf", "NaN"}


def exported_metric_names() -> set[str]:
    """The series names the services' registry exposes (clinic_common.metrics)."""
    from clinic_common import metrics  # noqa: F401 - registers the metrics
    from prometheus_client import REGISTRY

    names = set()
    for family in REGISTRY.collect():
        if not family.name.startswith("clinic_"):
            continue
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum")}
        else:
            names.add(family.name)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not its functions, aggregations,
    keywords or label names)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', str(expr))
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        if text[match.end():].lstrip().startswith("(") or match.group() in KEYWORDS:
            continue
        names.add(match.group())
    return names


def rules() -> list[dict]:
    return [rule for group in load_one(ALERTS)["groups"] for rule in group["rules"]]


def check_rules_file(path: Path) -> subprocess.CompletedProcess:
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(tool).exists():
        pytest.skip("pip install check-jsonschema")
    return subprocess.run([tool, "--schemafile", str(RULES_SCHEMA), str(path)],
                          capture_output=True, text=True, timeout=60)


def test_the_alert_rules_are_a_valid_prometheus_rule_file(tmp_path):
    result = check_rules_file(ALERTS)
    assert result.returncode == 0, result.stdout + result.stderr
    document = load_one(ALERTS)
    for broken in (
            {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up == 0",
                                                  "for": "5 minutes"}]}]},
            {"groups": [{"name": "g", "rules": [{"alert": "A"}]}]},
            {"groups": [{"name": "g", "rules": [{"alert": "A", "record": "b", "expr": "up"}]}]},
            {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up",
                                                  "labels": {"bad-name": "x"}}]}]},
            {**document, "rule_files": []}):
        path = tmp_path / "broken.yaml"
        path.write_text(yaml.safe_dump(broken))
        assert check_rules_file(path).returncode != 0, broken


def test_every_metric_an_alert_uses_is_one_the_services_export():
    exported = exported_metric_names()
    assert {"clinic_rpc_requests_total", "clinic_rpc_duration_seconds_bucket",
            "clinic_outbox_backlog", "clinic_serving", "clinic_db_pool_capacity"} <= exported
    for rule in rules():
        used = metric_names(rule["expr"])
        assert used, f"{rule['alert']}: no metric in {rule['expr']!r}"
        unknown = used - exported - PROMETHEUS_OWN
        assert not unknown, f"{rule['alert']} uses {sorted(unknown)}, which no service exports"


def test_the_metric_name_reader_finds_names_and_only_names():
    assert metric_names('sum by (service, topic) (rate(clinic_x_total{code=~"A|B"}[5m])) '
                        '/ on(service) clinic_y > 0.5 and up == 0') == \
        {"clinic_x_total", "clinic_y", "up"}
    assert metric_names("histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) > 2e3") == \
        {"a_bucket"}
    assert metric_names("clinic_nope_total > 0") - exported_metric_names() == \
        {"clinic_nope_total"}


def test_alerts_cover_what_an_operator_must_hear_about():
    by_name = {rule["alert"]: rule for rule in rules()}
    assert len(by_name) == len(rules()), "alert names are unique"
    used = set().union(*(metric_names(r["expr"]) for r in rules()))
    assert {"up", "clinic_serving", "clinic_worker_running",
            "clinic_outbox_oldest_unsent_age_seconds",
            "clinic_consumer_lag", "clinic_dead_letters_total", "clinic_rpc_requests_total",
            "clinic_db_pool_checked_out", "clinic_db_pool_capacity"} <= used
    for name, rule in by_name.items():
        assert rule["labels"]["severity"] in {"page", "warning"}, name
        assert rule["annotations"]["summary"], name
        assert rule["expr"].count("(") == rule["expr"].count(")"), name
    # Refusals are the API working: only failures count towards the error ratio.
    errors = by_name["ClinicRpcErrorRatioHigh"]["expr"]
    assert "INTERNAL" in errors and "FAILED_PRECONDITION" not in errors


def test_compose_prometheus_scrapes_every_service_on_its_metrics_port():
    compose = load_one(DEPLOY / "compose.yaml")
    config = load_one(MONITORING / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yaml"]
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "clinic"  # ClinicServiceDown selects up{job="clinic"}
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    expected = set()
    for service in SERVICES:
        definition = compose["services"][service]
        port = int(definition["environment"][f"{service.upper()}_METRICS_PORT"])
        assert port == METRICS_PORTS[service]
        assert f"127.0.0.1:{port}:{port}" in definition["ports"]
        expected.add(f"{service}:{port}")
    assert targets == expected
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    mounted = {v.split(":")[0] for v in prometheus["volumes"] if v.startswith("./")}
    assert mounted == {"./monitoring/prometheus.yml", "./monitoring/alerts.yaml"}
    assert all((DEPLOY / m).is_file() for m in mounted)


def test_kubernetes_prometheus_finds_the_pods_by_their_annotations():
    config = load_one(MONITORING / "prometheus-kubernetes.yml")
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "clinic"
    assert job["kubernetes_sd_configs"][0]["role"] == "pod"
    namespaces = set(job["kubernetes_sd_configs"][0]["namespaces"]["names"])
    assert namespaces == {f"clinic-{location}" for location in LOCATION_OVERLAYS}
    sources = {tuple(r["source_labels"]) for r in job["relabel_configs"]}
    assert ("__meta_kubernetes_pod_annotation_prometheus_io_scrape",) in sources
    assert ("__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port") in sources
    assert config["rule_files"] == ["alerts.yaml"]


def test_the_collector_example_receives_otlp_grpc_where_the_services_send_it():
    config = load_one(MONITORING / "otel-collector.yaml")
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317")
    pipeline = config["service"]["pipelines"]["traces"]
    assert set(pipeline["receivers"]) <= set(config["receivers"])
    assert set(pipeline["processors"]) <= set(config["processors"])
    assert set(pipeline["exporters"]) <= set(config["exporters"])
    compose = load_one(DEPLOY / "compose.yaml")
    assert "./monitoring/otel-collector.yaml:/etc/otelcol/config.yaml:ro" in \
        compose["services"]["otel-collector"]["volumes"]
    for service in SERVICES:  # off unless CLINIC_OTLP_ENDPOINT names a collector
        env = compose["services"][service]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${CLINIC_OTLP_ENDPOINT:-}"
    production = read_env_file(K8S / "components" / "production" / "telemetry.env")
    assert production["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4317")


@pytest.fixture(scope="module", params=[*LOCATION_OVERLAYS, "dev"])
def rendered(request, kustomize):
    return request.param, render(K8S / "overlays" / request.param)


def test_every_service_pod_exposes_its_metrics_port_by_name_and_annotation(rendered):
    overlay, docs = rendered
    configmaps = by_kind(docs, "ConfigMap")
    deployments = service_deployments(by_kind(docs, "Deployment"))
    services = by_kind(docs, "Service")
    for service in SERVICES:
        pod = deployments[service]["spec"]["template"]
        container = pod["spec"]["containers"][0]
        env = container_env(container, configmaps)
        port = int(env[f"{service.upper()}_METRICS_PORT"])
        assert port == METRICS_PORTS[service]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == port
        annotations = pod["metadata"]["annotations"]
        assert (annotations["prometheus.io/scrape"], annotations["prometheus.io/port"],
                annotations["prometheus.io/path"]) == ("true", str(port), "/metrics")
        routed = {p["name"]: p for p in services[service]["spec"]["ports"]}
        assert routed["metrics"]["targetPort"] == "metrics"
        assert routed["metrics"]["port"] == port
        endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if overlay == "dev":
            assert endpoint is None  # no collector: no traces
        else:
            assert str(endpoint).endswith(":4317")


def test_only_monitoring_may_scrape_and_traces_go_only_to_the_collector(rendered):
    _, docs = rendered
    policies = by_kind(docs, "NetworkPolicy")
    scrapers = policies["metrics-scrapers"]["spec"]
    assert scrapers["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/component": "grpc-service"}
    (rule,) = scrapers["ingress"]
    assert [p["port"] for p in rule["ports"]] == ["metrics"]  # not the gRPC port
    assert [peer.get("namespaceSelector", {}).get("matchLabels") for peer in rule["from"]] == \
        [{"clinic/monitoring": "true"}, None]
    assert rule["from"][1]["podSelector"]["matchLabels"] == {"clinic/metrics-scraper": "true"}
    egress = policies["telemetry-egress"]["spec"]["egress"]
    assert [(peer["podSelector"]["matchLabels"], [p["port"] for p in r["ports"]])
            for r in egress for peer in r["to"]] == [({"clinic/otel-collector": "true"}, [4317])]
    # Scraping opens no gRPC: the callers' policy is unchanged.
    callers = policies["grpc-callers"]["spec"]["ingress"][0]
    assert [p["port"] for p in callers["ports"]] == ["grpc"]
