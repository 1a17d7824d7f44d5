"""The layers keep to themselves: domain code knows neither gRPC, SQL nor the wire format,
and the shared package knows no service."""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
FRAMEWORKS = ("grpc", "sqlalchemy", "google.protobuf", "clinic.", "kafka")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("service", ["intake", "scheduling", "billing"])
def test_domain_modules_import_no_framework(service):
    offending = {}
    for path in sorted((SERVICES / service / f"clinic_{service}" / "domain").glob("*.py")):
        bad = sorted(n for n in _imports(path) if n.startswith(FRAMEWORKS) or n == "clinic")
        if bad:
            offending[path.name] = bad
    assert offending == {}


def test_the_shared_errors_know_no_transport():
    assert not any(n.startswith("grpc") for n in
                   _imports(SERVICES / "common" / "clinic_common" / "errors.py"))


def test_the_shared_package_knows_no_service():
    offending = {}
    for path in sorted((SERVICES / "common" / "clinic_common").rglob("*.py")):
        bad = sorted(n for n in _imports(path)
                     if n.startswith(("clinic_intake", "clinic_scheduling", "clinic_billing",
                                      "clinic_devtools", "clinic.intake", "clinic.scheduling",
                                      "clinic.billing")))
        if bad and path.name != "ops.py":  # the operator command names the services it serves
            offending[path.name] = bad
    assert offending == {}
