"""The access matrix: every method of every service has a rule, and the rules keep the
minimum-necessary promises (who may read clinical data, who may clear and prescribe)."""

import importlib
from pathlib import Path

import pytest
from clinic_billing.entrypoints.permissions import PERMISSIONS as BILLING
from clinic_common import audit_api
from clinic_common.access import methods_without_rules, permission_table
from clinic_common.identity import Role
from clinic_intake.entrypoints.permissions import PERMISSIONS as INTAKE
from clinic_scheduling.entrypoints.permissions import PERMISSIONS as SCHEDULING
from google.protobuf import descriptor_pool

TABLES = {"intake": INTAKE, "scheduling": SCHEDULING, "billing": BILLING}
PACKAGES = {"intake": "clinic.intake.v1", "scheduling": "clinic.scheduling.v1",
            "billing": "clinic.billing.v1"}
AUDIT = {audit_api.SERVICE: audit_api.RULES}


def _rules(service: str) -> dict:
    table = {}
    for descriptor, rules in {**TABLES[service], **AUDIT}.items():
        table.update(permission_table(descriptor, rules))
    return table


def _services_in(package: str) -> list:
    """Every gRPC service the package's proto files declare."""
    folder = Path(__file__).resolve().parents[2] / "protos" / Path(*package.split("."))
    found = []
    for proto in sorted(folder.glob("*.proto")):
        module = importlib.import_module(f"{package}.{proto.stem}_pb2")
        found += list(module.DESCRIPTOR.services_by_name.values())
    return found


@pytest.mark.parametrize("service", sorted(TABLES))
def test_every_method_of_every_service_has_a_rule(service):
    services = _services_in(PACKAGES[service])
    assert services, f"no services found for {service}"
    assert methods_without_rules([*services, audit_api.SERVICE], _rules(service)) == []


@pytest.mark.parametrize("service", sorted(TABLES))
def test_every_served_service_is_in_the_table(service):
    declared = {s.full_name for s in _services_in(PACKAGES[service])}
    assert {d.full_name for d in TABLES[service]} == declared


def _allowed(service: str, method: str) -> frozenset:
    return next(r.roles for path, r in _rules(service).items() if path.endswith(f"/{method}"))


CLINICAL_READS = ["GetHistoryEntry", "ListHistoryEntries", "ListVitals", "GetClinicalSummary",
                  "GetScreening", "ListScreenings", "GetScoreTrend", "ListSafetyFlags",
                  "GetCandidacyDecision", "ListCandidacyDecisions", "EvaluateContraindications",
                  "GetTreatmentPlan", "ListTreatmentPlans", "ListTreatmentPlanVersions"]


@pytest.mark.parametrize("method", CLINICAL_READS)
def test_front_desk_and_billing_do_not_see_clinical_records(method):
    assert not _allowed("intake", method) & {Role.FRONT_DESK, Role.BILLING, Role.OPS}


@pytest.mark.parametrize("method", ["DecideCandidacy", "CreateTreatmentPlan",
                                    "AmendTreatmentPlan", "EndTreatmentPlan"])
def test_only_a_provider_clears_a_patient_or_signs_a_plan(method):
    assert _allowed("intake", method) == {Role.PROVIDER}


def test_only_a_clinician_acknowledges_a_safety_flag():
    assert _allowed("intake", "AcknowledgeSafetyFlag") == {Role.NURSE, Role.PROVIDER}


def test_only_admins_read_the_audit_trail():
    for service in TABLES:
        assert _allowed(service, "ListAuditEvents") == {Role.ADMIN}


def test_no_staff_role_is_granted_to_services_by_default():
    """Service identities get only what a rule names for them; none does yet."""
    for service in TABLES:
        assert all(Role.SERVICE not in r.roles for r in _rules(service).values())


@pytest.mark.parametrize("service", sorted(TABLES))
def test_every_method_that_takes_a_patient_is_audited(service):
    """A request or response that names a patient means the method reads or changes PHI."""
    for path, rule in _rules(service).items():
        method = _method(path)
        if _names_a_patient(method.input_type) or _names_a_patient(method.output_type):
            assert rule.phi, f"{path} touches a patient but is not audited"


def _method(path: str):
    service_name, method_name = path.strip("/").split("/")
    service = descriptor_pool.Default().FindServiceByName(service_name)
    return service.methods_by_name[method_name]


def _names_a_patient(message, depth: int = 0) -> bool:
    if depth > 6:
        return False
    for field in message.fields:
        if field.name in ("patient_id", "patient") or field.name.endswith("_patient"):
            return True
        if field.message_type is not None and _names_a_patient(field.message_type, depth + 1):
            return True
    return message.full_name.endswith((".Patient", ".Account"))
