"""`clinic audit list` against intake in-process: an admin reads who did what to a
patient's record; anyone else is refused."""

import datetime as dt
import json

import pytest
from clinic_client.cli import app
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    with running("intake", f"sqlite:///{tmp_path_factory.mktemp('audit')}/intake.db") as served:
        yield served


def clinic(intake, *args, roles=(Role.ADMIN,), sub="admin-1"):
    env = {"CLINIC_INTAKE_ADDRESS": intake.address, "CLINIC_TOKEN": auth.token(*roles, sub=sub),
           "CLINIC_TOKEN_FILE": "", "CLINIC_DEADLINE_SECONDS": "5", "COLUMNS": "250"}
    return CliRunner().invoke(app, list(args), env=env)


def test_an_admin_lists_who_registered_and_read_a_patient_newest_first(intake):
    registered = clinic(intake, "-q", "patient", "register", "--given", "Ada", "--family",
                        "Audit", "--born", "1985-12-10", roles=(Role.FRONT_DESK,), sub="desk-7")
    assert registered.exit_code == 0, registered.output
    patient = registered.stdout.strip()
    assert clinic(intake, "patient", "show", patient, roles=(Role.FRONT_DESK,),
                  sub="desk-8").exit_code == 0

    listed = clinic(intake, "--json", "audit", "list", "--service", "intake",
                    "--patient", patient)
    assert listed.exit_code == 0, listed.output
    events = json.loads(listed.stdout)
    assert [(e["service"], e["actor"], e["method"].rsplit("/", 1)[1], e["outcome"])
            for e in events] == [("intake", "desk-8", "GetPatient", "OK"),
                                 ("intake", "desk-7", "CreatePatient", "OK")]
    assert all(e["patient_id"] == patient and e["correlation_id"] for e in events)

    by_actor = clinic(intake, "--json", "audit", "list", "--service", "intake",
                      "--actor", "desk-7")
    assert {e["method"].rsplit("/", 1)[1] for e in json.loads(by_actor.stdout)} == {
        "CreatePatient"}
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    none_yet = clinic(intake, "--json", "audit", "list", "--service", "intake", "--from", later)
    assert none_yet.exit_code == 0 and json.loads(none_yet.stdout) == []

    table = clinic(intake, "audit", "list", "--service", "intake", "--patient", patient)
    assert table.exit_code == 0 and "desk-8" in table.stdout and "GetPatient" in table.stdout


def test_the_audit_trail_is_refused_to_the_front_desk_and_bad_options_are_usage_errors(intake):
    refused = clinic(intake, "audit", "list", "--service", "intake", roles=(Role.FRONT_DESK,))
    assert refused.exit_code == 6 and "correlation id" in refused.stderr
    assert clinic(intake, "audit", "list", "--service", "pharmacy").exit_code == 2
    assert clinic(intake, "audit", "list", "--from", "2026-11-01").exit_code == 2
