"""`clinic coverage` and the typed coverage calls: what they send to intake's CoverageService
(a stand-in server), how they print, refusals and exit codes; then against intake in-process."""

import json

import grpc
import pytest
from clinic_client import Clinic, Refusal, Settings
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from google.rpc import code_pb2

from tests.client.test_jobs import _refusal, clinic, stand_in  # noqa: F401 - the stand-in server

I = "clinic.intake.v1.CoverageService"  # noqa: E741


def _stored(request):
    c = request.coverage
    c.name = f"{request.parent}/coverages/v1"
    c.coverage_id, c.revision = "v1", 1
    return {"coverage": c}


def test_add_sends_the_card_with_a_request_id_and_prints_it(stand_in):  # noqa: F811
    fake = stand_in({f"{I}/CreateCoverage": _stored})
    added = clinic(fake.address, "coverage", "add", "p1", "--payer-id", "60054", "--member-id",
                   "W123", "--group", "G9", "--plan-type", "PPO", "--priority", "2", "--from",
                   "2026-01-01", "--to", "2026-12-31", "--payer-name", "Aetna")
    assert added.exit_code == 0, added.output
    assert "60054" in added.stdout and "W123" in added.stdout and "PPO" in added.stdout
    (request,) = fake.of("CreateCoverage")
    c = request.coverage
    assert request.parent == "patients/p1" and request.request_id
    assert (c.payer_id, c.member_id, c.group_number, c.priority, c.payer_name) == \
        ("60054", "W123", "G9", 2, "Aetna")
    assert (c.plan_type, c.subscriber_relationship) == (1, 1)  # PPO, SELF by default
    assert (c.effective_date.year, c.effective_date.month, c.end_date.month) == (2026, 1, 12)
    quiet = clinic(fake.address, "-q", "coverage", "add", "p1", "--payer-id", "60054",
                   "--member-id", "W1", "--from", "2026-01-01")
    assert quiet.stdout.strip() == "patients/p1/coverages/v1"
    # A subscriber other than the patient: their name and date of birth go with the card.
    clinic(fake.address, "coverage", "add", "p1", "--payer-id", "X", "--member-id", "M",
           "--subscriber-relationship", "child", "--subscriber-name", "George Byron",
           "--subscriber-born", "1960-02-03")
    child = fake.of("CreateCoverage")[-1].coverage
    assert (child.subscriber_relationship, child.subscriber_name,
            child.subscriber_date_of_birth.year) == (3, "George Byron", 1960)
    assert child.effective_date.year >= 2026  # today when --from is left out


def test_bad_options_are_usage_errors_and_send_nothing(stand_in):  # noqa: F811
    fake = stand_in({f"{I}/CreateCoverage": _stored})
    base = ["coverage", "add", "p1", "--payer-id", "X", "--member-id", "M"]
    assert clinic(fake.address, *base, "--priority", "4").exit_code == 2
    assert clinic(fake.address, *base, "--subscriber-relationship", "cousin").exit_code == 2
    assert clinic(fake.address, *base, "--plan-type", "gold").exit_code == 2
    assert clinic(fake.address, *base, "--from", "2026-02-30").exit_code == 2
    assert clinic(fake.address, "coverage", "end", "v1", "--on", "2026-06-30").exit_code == 2
    assert clinic(fake.address, "coverage", "add", "p1", "--member-id", "M").exit_code == 2
    assert fake.of("CreateCoverage") == [] and fake.requests == []


def test_a_taken_priority_is_refused_in_plain_words_exit_3_also_as_json(stand_in):  # noqa: F811
    fake = stand_in({f"{I}/CreateCoverage": lambda r: _refusal(
        code_pb2.FAILED_PRECONDITION, "COVERAGE_PRIORITY_TAKEN")})
    args = ["coverage", "add", "p1", "--payer-id", "X", "--member-id", "M"]
    refused = clinic(fake.address, *args)
    assert refused.exit_code == 3
    assert "COVERAGE_PRIORITY_TAKEN" in refused.stderr and "c-9" in refused.stderr
    as_json = clinic(fake.address, "--json", *args)
    assert as_json.exit_code == 3 and as_json.stdout == ""
    error = json.loads(as_json.stderr)["error"]
    assert (error["reason"], error["correlation_id"]) == ("COVERAGE_PRIORITY_TAKEN", "c-9")


def test_list_on_a_day_asks_for_those_in_force_and_end_names_the_coverage(stand_in):  # noqa: F811
    listed = {"coverages": [{"name": "patients/p1/coverages/v1", "coverage_id": "v1",
                             "payer_id": "60054", "priority": 1, "member_id": "W1",
                             "subscriber_relationship": "SUBSCRIBER_RELATIONSHIP_SELF"}]}
    fake = stand_in({
        f"{I}/ListCoverages": lambda r: listed,
        f"{I}/ListActiveCoverages": lambda r: listed,
        f"{I}/GetCoverage": lambda r: {"coverage": listed["coverages"][0]},
        f"{I}/EndCoverage": lambda r: {"coverage": {"name": r.name, "ended": True}}})
    table = clinic(fake.address, "coverage", "list", "p1")
    assert table.exit_code == 0 and "60054" in table.stdout and "SELF" in table.stdout
    rows = json.loads(clinic(fake.address, "--json", "coverage", "list", "p1", "--on",
                             "2026-12-01").stdout)
    assert rows[0]["payer_id"] == "60054" and rows[0]["ended"] is False
    (active,) = fake.of("ListActiveCoverages")
    assert (active.parent, active.date.day) == ("patients/p1", 1)
    assert fake.of("ListCoverages")[0].parent == "patients/p1"
    shown = clinic(fake.address, "--json", "coverage", "show", "v1", "--patient", "p1")
    assert json.loads(shown.stdout)["member_id"] == "W1"
    ended = clinic(fake.address, "--json", "coverage", "end", "v1", "--patient", "p1", "--on",
                   "2026-06-30")
    assert ended.exit_code == 0 and json.loads(ended.stdout)["ended"] is True
    (end,) = fake.of("EndCoverage")
    assert (end.name, end.end_date.month, end.end_date.day) == ("patients/p1/coverages/v1", 6, 30)
    assert end.request_id


def test_the_typed_calls_keep_a_given_request_id_and_raise_refusals(stand_in):  # noqa: F811
    fake = stand_in({f"{I}/CreateCoverage": _stored,
                     f"{I}/EndCoverage": lambda r: _refusal(code_pb2.FAILED_PRECONDITION,
                                                            "COVERAGE_ALREADY_ENDED")})
    settings = Settings(token=auth.token(Role.FRONT_DESK), deadline=5)
    settings.addresses = {name: fake.address for name in settings.addresses}
    with Clinic(settings) as c:
        coverage = c.intake.add_coverage("p1", payer_id="60054", member_id="W1",
                                         effective_date="2026-01-01", request_id="r-1")
        assert coverage.name == "patients/p1/coverages/v1"
        with pytest.raises(Refusal) as refused:
            c.intake.end_coverage("v1", "2026-06-30", patient="p1")
    assert fake.of("CreateCoverage")[0].request_id == "r-1"
    assert refused.value.reason == "COVERAGE_ALREADY_ENDED" and refused.value.code == \
        grpc.StatusCode.FAILED_PRECONDITION.name


def test_add_list_and_end_against_intake(tmp_path):
    with running("intake", f"sqlite:///{tmp_path}/intake.db") as intake:
        def run(*args, roles=(Role.FRONT_DESK,)):
            return clinic(intake.address, *args, roles=roles)

        patient = run("-q", "patient", "register", "--given", "Ada", "--family", "Byron",
                      "--born", "1985-12-10").stdout.strip()
        card = ["coverage", "add", patient, "--payer-id", "60054", "--member-id", "W123",
                "--from", "2026-01-01", "--plan-type", "ppo"]
        added = run("--json", *card)
        assert added.exit_code == 0, added.output
        coverage = json.loads(added.stdout)
        assert (coverage["priority"], coverage["subscriber_relationship"]) == (1, "SELF")
        again = run(*card)  # the same card in force: refused, nothing recorded
        assert again.exit_code == 3 and "COVERAGE_EXISTS" in again.stderr
        assert "correlation id" in again.stderr
        other = run(*card[:6], "W999", "--from", "2026-03-01")  # another primary in force
        assert other.exit_code == 3 and "COVERAGE_PRIORITY_TAKEN" in other.stderr
        rows = json.loads(run("--json", "coverage", "list", patient).stdout)
        assert [r["member_id"] for r in rows] == ["W123"]
        ended = run("--json", "coverage", "end", coverage["name"], "--on", "2026-06-30")
        assert ended.exit_code == 0, ended.output
        assert json.loads(ended.stdout)["ended"] is True
        assert json.loads(run("--json", "coverage", "list", patient, "--on",
                              "2026-07-01").stdout) == []
        assert run("coverage", "end", coverage["name"], "--on", "2026-06-30").exit_code == 3
        # Clinicians do not handle insurance; an unknown patient is not found.
        assert run("coverage", "list", patient, roles=(Role.NURSE,)).exit_code == 6
        missing = run("coverage", "list", "nobody")
        assert missing.exit_code == 5 and "PATIENT_NOT_FOUND" in missing.stderr
