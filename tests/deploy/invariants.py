"""What every service Deployment must satisfy, checked on base files and rendered overlays."""

from __future__ import annotations

from clinic_common.config import ServiceSettings

GRPC_COMPONENT = "grpc-service"


def service_deployments(deployments: dict[str, dict]) -> dict[str, dict]:
    return {name: d for name, d in deployments.items()
            if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == GRPC_COMPONENT}


def container_env(container: dict, configmaps: dict[str, dict]) -> dict[str, object]:
    """The environment a container sees: ConfigMaps from envFrom, then env entries."""
    env: dict[str, object] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            env.update(configmaps[ref["name"]].get("data", {}))
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


def _probe_problems(container: dict, port: int) -> list[str]:
    problems = []
    for probe in ("readinessProbe", "livenessProbe"):
        grpc = container.get(probe, {}).get("grpc")
        if not grpc or grpc.get("port") != port:
            problems.append(f"{probe} is not a grpc probe on port {port}")
    return problems


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
    problems += _probe_problems(main, port)
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
    problems += _env_problems(service, env, port, serving=True)
    grace = float(env.get(f"{service.upper()}_SHUTDOWN_GRACE_SECONDS",
                          ServiceSettings.model_fields["shutdown_grace_seconds"].default))
    needed = grace + _pre_stop_seconds(main)
    if pod.get("terminationGracePeriodSeconds", 30) <= needed:
        problems.append(f"terminationGracePeriodSeconds is not above {needed}s "
                        "(shutdown grace plus preStop)")
    migrate = [c for c in pod.get("initContainers", []) if c.get("args") == ["migrate"]]
    if not migrate:
        problems.append("no init container runs migrate")
    else:
        problems += _env_problems(service, container_env(migrate[0], configmaps), port,
                                  serving=False)
        if migrate[0]["image"] != main["image"]:
            problems.append("migrate runs a different image than the service")
    return problems
