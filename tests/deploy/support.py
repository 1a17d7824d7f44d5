"""Reading the deployment files: YAML, kustomizations, Dockerfiles, settings names."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from clinic_common.config import AuthSettings, KafkaSettings, ServiceSettings, TlsSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SERVICES = {"intake": 50051, "scheduling": 50052, "billing": 50053}
LOCATION_OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.name != "dev")
IN_CI = os.environ.get("CI", "").lower() == "true"


def load_all(path: Path) -> list[dict]:
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def load_one(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def prefixed_names(cls: type) -> set[str]:
    """The environment variables a settings class reads: its prefix and each field name."""
    prefix = cls.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


def settings_class(service: str) -> type[ServiceSettings]:
    """The service's settings class (``clinic_<service>.config``)."""
    module = importlib.import_module(f"clinic_{service}.config")
    return next(v for v in vars(module).values() if isinstance(v, type)
                and issubclass(v, ServiceSettings) and v is not ServiceSettings)


def settings_names(service: str) -> set[str]:
    """Every environment variable the service's settings read, with its prefix."""
    return prefixed_names(settings_class(service))


def kafka_names() -> set[str]:
    return prefixed_names(KafkaSettings)


def auth_names() -> set[str]:
    return prefixed_names(AuthSettings)


def tls_names() -> set[str]:
    return prefixed_names(TlsSettings)


def telemetry_names() -> set[str]:
    """The OTEL_* settings tracing reads, and prometheus-client's multiprocess folder."""
    from clinic_common import metrics, tracing

    return set(tracing.SETTINGS) | {metrics.MULTIPROC_ENV}


def known_names(service: str) -> set[str]:
    """Every setting a service process reads: its own, the shared Kafka, auth and TLS ones,
    and tracing's."""
    return settings_names(service) | kafka_names() | auth_names() | tls_names() | \
        telemetry_names()


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


# --- kustomize -------------------------------------------------------------------

def _strip_key(source: str) -> str:
    """``key=path`` in a generator's files list names the file after the ``=``."""
    return source.split("=", 1)[1] if "=" in source else source


def kustomization_references(directory: Path) -> list[Path]:
    """Every file or folder a kustomization.yaml names, resolved from its folder."""
    spec = load_one(directory / "kustomization.yaml")
    names = [*spec.get("resources", []), *spec.get("components", [])]
    names += [p["path"] for p in spec.get("patches", []) if "path" in p]
    names += spec.get("patchesStrategicMerge", [])
    for generator in [*spec.get("configMapGenerator", []), *spec.get("secretGenerator", [])]:
        names += [_strip_key(f) for f in generator.get("files", [])]
        names += generator.get("envs", [])
    return [(directory / name).resolve() for name in names]


def all_kustomizations() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def kustomize_command() -> list[str] | None:
    """``kustomize build`` or ``kubectl kustomize``: the venv's first, then PATH."""
    bin_dir = Path(sys.executable).parent
    for name, args in (("kustomize", ["build"]), ("kubectl", ["kustomize"])):
        for candidate in (bin_dir / name, shutil.which(name)):
            if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
                return [str(candidate), *args]
    return None


def render(overlay: Path) -> list[dict]:
    """The manifests an overlay renders to, as plain ``kubectl kustomize DIR`` (and so
    ``kubectl apply -k`` and GitOps tools) renders them: no load-restrictor flag."""
    command = kustomize_command()
    assert command, "no kustomize or kubectl binary"
    result = subprocess.run([*command, str(overlay)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


def render_components(folder: Path, *components: str, base: str = "base") -> list[dict]:
    """Render ``base`` with ``components`` (names under k8s/components) through a scratch
    overlay in ``folder``, as an overlay listing them would."""
    up = Path(os.path.relpath(K8S, folder))
    spec = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "namespace": "clinic-scratch", "resources": [str(up / base)],
            "components": [str(up / "components" / name) for name in components]}
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(spec))
    return render(folder)


def base_image_tags() -> dict[str, str]:
    """The version each image runs unless an overlay pins another: the base's ``images:``."""
    spec = load_one(K8S / "base" / "kustomization.yaml")
    return {entry["name"]: str(entry["newTag"]) for entry in spec["images"]}


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


# --- Dockerfiles -------------------------------------------------------------------

def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        current += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            keyword, _, rest = current.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            current = ""
    return instructions


def stages(instructions: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Instructions per build stage, by the stage's ``AS`` name."""
    result: dict[str, list[tuple[str, str]]] = {}
    name = None
    for keyword, rest in instructions:
        if keyword == "FROM":
            name = rest.split()[-1] if " AS " in rest.upper() else rest
            result[name] = []
        elif name is not None:
            result[name].append((keyword, rest))
    return result
