"""The clinic command against intake in-process: output modes, refusals and exit codes."""

import json

import pytest
from clinic_client.cli import app
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    with running("intake", f"sqlite:///{tmp_path_factory.mktemp('cli')}/intake.db") as served:
        yield served


def clinic(intake, *args, roles=(Role.FRONT_DESK,), token=True):
    env = {"CLINIC_INTAKE_ADDRESS": intake.address, "CLINIC_TOKEN": "",
           "CLINIC_TOKEN_FILE": "", "CLINIC_DEADLINE_SECONDS": "5"}
    if token:
        env["CLINIC_TOKEN"] = auth.token(*roles)
    return CliRunner().invoke(app, list(args), env=env)


def test_register_then_show_as_json(intake):
    registered = clinic(intake, "-q", "patient", "register", "--given", "Ada", "--family",
                        "Byron", "--born", "1985-12-10")
    assert registered.exit_code == 0, registered.output
    patient_id = registered.stdout.strip()
    shown = clinic(intake, "--json", "patient", "show", patient_id)
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["family_name"] == "Byron"


def test_not_found_exits_5_with_reason_and_correlation_id(intake):
    result = clinic(intake, "patient", "show", "nobody")
    assert result.exit_code == 5
    assert "PATIENT_NOT_FOUND" in result.stderr and "correlation id" in result.stderr


def test_a_role_that_may_not_decide_exits_6(intake):
    result = clinic(intake, "candidacy", "decide", "nobody", "--modality", "iv_ketamine",
                    "--outcome", "cleared", "--reason", "x", roles=(Role.NURSE,))
    assert result.exit_code == 6 and "ROLE_NOT_ALLOWED" in result.stderr


def test_usage_errors_exit_2_and_no_token_exits_6(intake):
    assert clinic(intake, "patient", "register", "--given", "A", "--family", "B",
                  "--born", "1990-13-01").exit_code == 2
    assert clinic(intake, "patient", "find", token=False).exit_code == 6
