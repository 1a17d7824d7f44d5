"""What every service Deployment must satisfy, checked on base files and rendered overlays."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from clinic_common.config import ServiceSettings

from tests.deploy.support import known_names

GRPC_COMPONENT = "grpc-service"
# What the images carry for probes that must speak TLS (deploy/docker/grpc_health_check.py).
HEALTH_CHECK_COMMAND = "grpc-health-check"
# The health name that stays SERVING while the database is down (clinic_common.server).
LIVENESS = "liveness"


def service_deployments(deployments: dict[str, dict]) -> dict[str, dict]:
    return {name: d for name, d in deployments.items()
            if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == GRPC_COMPONENT}


def container_env(container: dict, configmaps: dict[str, dict]) -> dict[str, object]:
    """The environment a container sees: ConfigMaps from envFrom, then env entries."""
    env: dict[str, object] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            # A missing ConfigMap adds nothing (test_k8s_render checks that each exists).
            env.update(configmaps.get(ref["name"], {}).get("data", {}))
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


def _pre_stop_seconds(container: dict) -> int:
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    return int(command[1]) if command[:1] == ["sleep"] else 0


def _hardening_problems(container: dict) -> list[str]:
    name, problems = container["name"], []
    context = container.get("securityContext", {})
    if context.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{name}: readOnlyRootFilesystem is not true")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{name}: allowPrivilegeEscalation is not false")
    if "ALL" not in context.get("capabilities", {}).get("drop", []):
        problems.append(f"{name}: capabilities are not all dropped")
    resources = container.get("resources", {})
    for section in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(resources.get(section, {})):
            problems.append(f"{name}: resources.{section} lacks cpu or memory")
    if "/tmp" not in {m["mountPath"] for m in container.get("volumeMounts", [])}:
        problems.append(f"{name}: no writable /tmp on a read-only root")
    return problems


def _probe_service(spec: dict) -> str:
    """The gRPC health service name a probe asks for (grpc probe or grpc-health-check)."""
    if "grpc" in spec:
        return spec["grpc"].get("service", "")
    command = spec.get("exec", {}).get("command", [])
    return command[command.index("--service") + 1] if "--service" in command else ""


def _probe_problems(container: dict, port: int, env: dict[str, object]) -> list[str]:
    """Plaintext: the built-in grpc probes on the port. TLS: exec probes running the image's
    health check, which speaks TLS from the same settings (grpc probes cannot)."""
    problems = []
    tls = bool(env.get("TLS_CERT_FILE"))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        spec = container.get(probe, {})
        if probe == "startupProbe" and not spec:
            continue  # optional; readiness and liveness are not
        service = _probe_service(spec)
        wanted = "" if probe == "readinessProbe" else LIVENESS
        if service != wanted:
            problems.append(f"{probe} asks health for {service!r}, not {wanted!r}: readiness "
                            "follows the database, liveness must not")
        if tls:
            command = spec.get("exec", {}).get("command", [])
            if command[:1] != [HEALTH_CHECK_COMMAND] or "grpc" in spec:
                problems.append(f"{probe} is not an exec probe running {HEALTH_CHECK_COMMAND} "
                                "although the service serves TLS")
            elif len(command) > 1 and not command[1].startswith("-") and \
                    not command[1].endswith(f":{port}"):
                problems.append(f"{probe} checks {command[1]}, not port {port}")
        else:
            grpc = spec.get("grpc")
            if not grpc or grpc.get("port") != port:
                problems.append(f"{probe} is not a grpc probe on port {port}")
    return problems


def _file_problems(container: dict, env: dict[str, object], volumes: dict[str, dict]
                   ) -> list[str]:
    """Files the settings name (AUTH_*_FILE, TLS_*_FILE) come from a mounted Secret, mounted as
    a folder (no subPath), so an updated Secret reaches the pod."""
    problems = []
    mounts = container.get("volumeMounts", [])
    for name, value in sorted(env.items()):
        if not (name.startswith(("AUTH_", "TLS_")) and name.endswith("_FILE")
                and isinstance(value, str) and value):
            continue
        path = PurePosixPath(value)
        mount = next((m for m in mounts if path.is_relative_to(m["mountPath"])
                      and path != PurePosixPath(m["mountPath"])), None)
        if mount is None:
            problems.append(f"{container['name']}: {name} {value} is on no mounted volume")
            continue
        if "subPath" in mount or "subPathExpr" in mount:
            problems.append(f"{container['name']}: {name} is mounted with a subPath, "
                            "which never sees an update")
        secret = volumes.get(mount["name"], {}).get("secret")
        if secret is None:
            problems.append(f"{container['name']}: {name} is not on a Secret volume")
            continue
        relative = str(path.relative_to(mount["mountPath"]))
        items = secret.get("items")
        if items is not None and relative not in {i["path"] for i in items}:
            problems.append(f"{container['name']}: Secret {secret['secretName']} "
                            f"does not hold {relative}")
    return problems


def _auth_problems(env: dict[str, object]) -> list[str]:
    """Every call but health needs a token: the service needs its keys and the claims to want."""
    return [f"{name} is not set" for name in ("AUTH_JWKS_FILE", "AUTH_ISSUER", "AUTH_AUDIENCE")
            if not env.get(name)]


def _tls_problems(env: dict[str, object]) -> list[str]:
    problems = []
    if bool(env.get("TLS_CERT_FILE")) != bool(env.get("TLS_KEY_FILE")):
        problems.append("TLS_CERT_FILE and TLS_KEY_FILE are not set together")
    if env.get("TLS_CLIENT_CA_FILE") and not env.get("TLS_CERT_FILE"):
        problems.append("TLS_CLIENT_CA_FILE is set without TLS_CERT_FILE")
    return problems


def _unknown_settings(service: str, container: dict, env: dict[str, object]) -> list[str]:
    unknown = set(env) - known_names(service)
    return [f"{container['name']}: {service} reads no {sorted(unknown)}"] if unknown else []


def _env_problems(service: str, env: dict[str, object], port: int, *, serving: bool) -> list[str]:
    prefix, problems = service.upper(), []
    if str(env.get(f"{prefix}_HOST")) != "0.0.0.0":
        problems.append(f"{prefix}_HOST is not 0.0.0.0")
    if str(env.get(f"{prefix}_PORT")) != str(port):
        problems.append(f"{prefix}_PORT is not {port}")
    if not isinstance(env.get(f"{prefix}_DATABASE_URL"), dict) or \
            "secretKeyRef" not in env[f"{prefix}_DATABASE_URL"]:
        problems.append(f"{prefix}_DATABASE_URL does not come from a Secret")
    if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
        problems.append("KAFKA_BOOTSTRAP_SERVERS is not set")
    if serving and str(env.get(f"{prefix}_MIGRATE_ON_START")).lower() != "false":
        problems.append(f"{prefix}_MIGRATE_ON_START is not false although migrate runs first")
    return problems


def deployment_problems(service: str, port: int, deployment: dict,
                        configmaps: dict[str, dict]) -> list[str]:
    """Everything wrong with one service Deployment; empty when it is fit to run."""
    pod = deployment["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    main = containers.get(service)
    if main is None:
        return [f"no container named {service}"]
    problems = []
    ports = {p.get("name"): p["containerPort"] for p in main.get("ports", [])}
    if ports.get("grpc") != port:
        problems.append(f"container port grpc is {ports.get('grpc')}, not {port}")
    context = pod.get("securityContext", {})
    if context.get("runAsNonRoot") is not True or context.get("runAsUser", 0) == 0:
        problems.append("pod does not run as a non-root user")
    if pod.get("enableServiceLinks") is not False:
        problems.append("service links would inject <SVC>_PORT=tcp://... into the environment")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("service account token is mounted")
    for container in [*pod["containers"], *pod.get("initContainers", [])]:
        problems += _hardening_problems(container)
    env = container_env(main, configmaps)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    problems += _probe_problems(main, port, env)
    problems += _env_problems(service, env, port, serving=True)
    problems += _auth_problems(env) + _tls_problems(env)
    problems += _file_problems(main, env, volumes) + _unknown_settings(service, main, env)
    grace = float(env.get(f"{service.upper()}_SHUTDOWN_GRACE_SECONDS",
                          ServiceSettings.model_fields["shutdown_grace_seconds"].default))
    needed = grace + _pre_stop_seconds(main)
    if pod.get("terminationGracePeriodSeconds", 30) <= needed:
        problems.append(f"terminationGracePeriodSeconds is not above {needed}s "
                        "(shutdown grace plus preStop)")
    if any(c.get("args") == ["migrate"] for c in pod.get("initContainers", [])):
        problems.append("an init container runs migrate: the service's pods must not migrate "
                        "(its database role has no DDL rights; the migration Job does it)")
    url = env.get(f"{service.upper()}_DATABASE_URL")
    if isinstance(url, dict) and not _secret_named(url, f"{service}-database"):
        problems.append(f"the service does not use the Secret {service}-database (its DML role)")
    return problems


def _secret_named(reference: dict, name: str) -> bool:
    """A secretKeyRef to ``name``, or to a Secret kustomize generated from it (hash suffix)."""
    actual = reference.get("secretKeyRef", {}).get("name", "")
    return actual == name or re.fullmatch(rf"{re.escape(name)}-[a-z0-9]{{10}}", actual) is not None


def migration_job_problems(service: str, job: dict, deployment: dict,
                           configmaps: dict[str, dict]) -> list[str]:
    """The service's migration Job: the same image, the migrator role, hardened."""
    pod = job["spec"]["template"]["spec"]
    containers = pod["containers"]
    problems = []
    if len(containers) != 1 or containers[0].get("args") != ["migrate"]:
        return [f"{job['metadata']['name']}: its one container does not run migrate"]
    migrate = containers[0]
    main = deployment["spec"]["template"]["spec"]["containers"][0]
    if migrate["image"] != main["image"]:
        problems.append("migrate runs a different image than the service")
    context = pod.get("securityContext", {})
    if context.get("runAsNonRoot") is not True or context.get("runAsUser", 0) == 0:
        problems.append("migration pod does not run as a non-root user")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("migration pod mounts a service account token")
    if pod.get("restartPolicy") not in {"Never", "OnFailure"}:
        problems.append("migration pod restartPolicy is neither Never nor OnFailure")
    problems += _hardening_problems(migrate)
    env = container_env(migrate, configmaps)
    url = env.get(f"{service.upper()}_DATABASE_URL")
    if not isinstance(url, dict) or not _secret_named(url, f"{service}-database-migrator"):
        problems.append(f"migrate does not use the Secret {service}-database-migrator")
    problems += _file_problems(migrate, env, {v["name"]: v for v in pod.get("volumes", [])})
    problems += _unknown_settings(service, migrate, env)
    labels = job["spec"]["template"]["metadata"]["labels"]
    if labels.get("app.kubernetes.io/name") == service:
        problems.append("migration pods carry the service's name label (its Service and "
                        "PodDisruptionBudget would select them)")
    return problems
