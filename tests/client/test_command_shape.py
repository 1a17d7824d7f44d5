"""The `clinic` command as a whole, as a power user meets it: the help in panels with every
command and option explained, prior authorizations beside claims and charges (the old
`clinic billing auth` still works), and --json and exit codes kept by every way out."""

import json

import typer.main
from clinic_client.cli import PANELS, app
from clinic_common.identity import Role
from google.rpc import code_pb2
from typer.testing import CliRunner

from tests.client.test_jobs import _refusal, clinic, stand_in  # noqa: F401 - the stand-in server

B = "clinic.billing.v1"
S = "clinic.scheduling.v1"


def _leaves(command, path=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


def test_every_command_and_visible_option_says_what_it_is():
    missing = []
    for path, command in _leaves(typer.main.get_command(app)):
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        missing += [f"{' '.join(path)} {p.name}" for p in command.params
                    if p.name != "help" and not getattr(p, "hidden", False)
                    and not (getattr(p, "help", "") or "").strip()]
    assert missing == []


def test_the_help_lists_every_group_in_its_panel_and_hides_the_old_spellings():
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    text = shown.stdout
    panels = [text.index(f"─ {panel} ") for panel in PANELS]
    assert panels == sorted(panels)  # front desk first, ops last
    visible = {name for name, command in typer.main.get_command(app).commands.items()
               if not command.hidden}
    assert visible == {name for names in PANELS.values() for name in names}
    assert "authorizations" in text and "exit codes" in text.lower()
    assert "│ billing " not in text and "│ auth " not in text


def test_authorizations_auth_and_billing_auth_are_one_command(stand_in):  # noqa: F811
    fake = stand_in({f"{B}.PriorAuthorizationService/ListPriorAuthorizations": lambda r: {
        "prior_authorizations": [{"name": f"{r.parent}/priorAuthorizations/pa1",
                                  "payer_id": r.payer_id}]}})
    for spelling in (["authorizations"], ["auth"], ["billing", "auth"]):
        listed = clinic(fake.address, "-q", *spelling, "list", "p1", "--payer", "60054",
                        roles=(Role.BILLING,))
        assert listed.exit_code == 0, (spelling, listed.output)
        assert listed.stdout.strip() == "accounts/p1/priorAuthorizations/pa1"
    assert [(r.parent, r.payer_id) for r in fake.of("ListPriorAuthorizations")] == \
        [("accounts/p1", "60054")] * 3


def test_json_errors_on_every_way_out(stand_in):  # noqa: F811
    fake = stand_in({f"{B}.ChargeService/ListCharges": lambda r: {"charges": []},
                     f"{S}.VisitService/CheckInAppointment": lambda r: _refusal(
                         code_pb2.FAILED_PRECONDITION, "ESCORT_NOT_CONFIRMED")})
    # Nothing to claim: exit 5, the error as JSON on stderr and nothing on stdout.
    none = clinic(fake.address, "--json", "claims", "create", "p1", "--appointment", "a1",
                  roles=(Role.BILLING,))
    assert none.exit_code == 5 and none.stdout == ""
    error = json.loads(none.stderr)["error"]
    assert error["code"] == "NOT_FOUND" and "a1" in error["message"]
    # No token: exit 6, as JSON too.
    env = {"CLINIC_INTAKE_ADDRESS": fake.address, "CLINIC_TOKEN": "", "CLINIC_TOKEN_FILE": ""}
    no_token = CliRunner().invoke(app, ["--json", "patient", "find", "--name", "B"], env=env)
    assert no_token.exit_code == 6
    assert json.loads(no_token.stderr)["error"]["code"] == "UNAUTHENTICATED"
    # A refusal: exit 3 with the reason and correlation id.
    refused = clinic(fake.address, "--json", "visit", "check-in", "a1", roles=(Role.NURSE,))
    assert refused.exit_code == 3
    assert json.loads(refused.stderr)["error"]["reason"] == "ESCORT_NOT_CONFIRMED"


def test_visit_vitals_as_json_carries_the_alerts(stand_in):  # noqa: F811
    fake = stand_in({f"{S}.VisitService/RecordVisitVitals": lambda r: {
        "appointment": {"name": r.name}, "alerts": ["systolic 190 mmHg is above 180"]}})
    shown = clinic(fake.address, "--json", "visit", "vitals", "a1", "--bp", "190/95",
                   roles=(Role.NURSE,))
    assert shown.exit_code == 0, shown.output
    row = json.loads(shown.stdout)
    assert row["name"] == "locations/-/appointments/a1"
    assert row["alerts"] == ["systolic 190 mmHg is above 180"]
    table = clinic(fake.address, "visit", "vitals", "a1", "--bp", "190/95", roles=(Role.NURSE,))
    assert "alert" in table.stderr and "above 180" in table.stderr
