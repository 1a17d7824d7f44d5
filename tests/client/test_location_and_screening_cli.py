"""`clinic location apply` against scheduling in-process (as ops apply a location file),
and `clinic screening record` against intake: each prints what it did and exits as
scripts expect."""

import json
from pathlib import Path

import pytest
from clinic_client.cli import app
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from typer.testing import CliRunner

LOCATION_FILE = Path(__file__).resolve().parents[2] / "deploy" / "locations" / "la-jolla.yaml"
TYPES_FILE = Path(__file__).resolve().parents[2] / "deploy" / "appointment-types.yaml"


def clinic(address, *args, roles=(Role.OPS,), token=True):
    env = {f"CLINIC_{svc}_ADDRESS": address for svc in ("INTAKE", "SCHEDULING", "BILLING")}
    env.update({"CLINIC_TOKEN": auth.token(*roles) if token else "", "CLINIC_TOKEN_FILE": "",
                "CLINIC_DEADLINE_SECONDS": "5", "COLUMNS": "200"})
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def test_location_apply_creates_then_leaves_unchanged_and_refuses_plainly(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("location_id: nowhere\ntime_zone: Mars/Olympus\n")
    with running("scheduling", f"sqlite:///{tmp_path}/scheduling.db") as scheduling:
        # Before anything exists: creating a location is for ops and admins.
        not_ops = clinic(scheduling.address, "location", "apply", LOCATION_FILE,
                         roles=(Role.FRONT_DESK,))
        first = clinic(scheduling.address, "--json", "location", "apply", LOCATION_FILE)
        again = clinic(scheduling.address, "--json", "location", "apply", LOCATION_FILE)
        no_token = clinic(scheduling.address, "location", "apply", LOCATION_FILE, token=False)
        malformed = clinic(scheduling.address, "location", "apply", broken)
        missing = clinic(scheduling.address, "location", "apply", tmp_path / "absent.yaml")
    assert first.exit_code == 0, first.output
    applied = [row["location"] for row in json.loads(first.stdout)]
    assert applied[0] == "la-jolla created"
    assert all(line.endswith(" created") for line in applied[1:])
    assert again.exit_code == 0
    assert all(row["location"].endswith(" unchanged") for row in json.loads(again.stdout))
    # Refused as any call is: exit 6 for a role, the file, the reason, the correlation id.
    assert not_ops.exit_code == 6, not_ops.output
    assert "la-jolla.yaml" in not_ops.stderr and "reason: " in not_ops.stderr
    assert "correlation id: " in not_ops.stderr
    assert no_token.exit_code == 6 and "CLINIC_TOKEN" in no_token.stderr
    assert malformed.exit_code == 3 and "broken.yaml" in malformed.stderr
    assert missing.exit_code == 2


def test_location_apply_takes_the_appointment_type_file_first(tmp_path):
    renamed = tmp_path / "appointment-types.yaml"
    renamed.write_text(TYPES_FILE.read_text().replace("display_name: Follow-up\n",
                                                      "display_name: Follow-up visit\n"))
    broken = tmp_path / "types.yaml"
    broken.write_text("appointment_types: [{code: X, display_name: X, parts: [{kind: NAP}]}]\n")
    with running("scheduling", f"sqlite:///{tmp_path}/scheduling.db") as scheduling:
        first = clinic(scheduling.address, "--json", "location", "apply", LOCATION_FILE,
                       renamed)
        malformed = clinic(scheduling.address, "location", "apply", broken, LOCATION_FILE)
    assert first.exit_code == 0, first.output
    applied = [row["location"] for row in json.loads(first.stdout)]
    assert "appointment type FOLLOW_UP updated (display_name)" in applied
    assert applied.index("appointment type FOLLOW_UP updated (display_name)") < \
        applied.index("la-jolla created")
    assert malformed.exit_code == 3 and "types.yaml" in malformed.stderr and "NAP" in \
        malformed.stderr


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    with running("intake", f"sqlite:///{tmp_path_factory.mktemp('screen')}/intake.db") as served:
        yield served


def test_screening_record_prints_the_score_and_refuses_answers_that_are_not_numbers(intake):
    registered = clinic(intake.address, "-q", "patient", "register", "--given", "Ada",
                        "--family", "Screen", "--born", "1985-12-10", roles=(Role.FRONT_DESK,))
    assert registered.exit_code == 0, registered.output
    patient = registered.stdout.strip()
    recorded = clinic(intake.address, "--json", "screening", "record", patient,
                      "--instrument", "PHQ-9", "--answers", "2,2,2,2,1,1,1,1,0",
                      roles=(Role.NURSE,))
    assert recorded.exit_code == 0, recorded.output
    screening = json.loads(recorded.stdout)
    assert screening["total_score"] == 12 and screening["instrument"] == "PHQ-9"
    assert clinic(intake.address, "screening", "record", patient, "--instrument", "PHQ-9",
                  "--answers", "two,2", roles=(Role.NURSE,)).exit_code == 2
    short = clinic(intake.address, "screening", "record", patient, "--instrument", "PHQ-9",
                   "--answers", "1,2", roles=(Role.NURSE,))
    assert short.exit_code == 3 and "reason:" in short.stderr and "correlation id" in short.stderr
