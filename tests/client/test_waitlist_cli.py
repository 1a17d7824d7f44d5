"""`clinic waitlist` against scheduling in-process: a patient joins, a cancellation frees a
slot, the list shows the offer, accepting books it; refusals exit 3 with the reason."""

import datetime as dt
import json
from pathlib import Path

from clinic.intake.v1 import events_pb2 as intake
from clinic_devtools.testing.servers import running

from tests.client.test_jobs import clinic
from tests.scheduling.helpers import intake_record

LA_JOLLA = Path(__file__).resolve().parents[2] / "deploy/locations/la-jolla.yaml"


def _register(scheduling, *patients):
    for patient in patients:
        event = intake.PatientRegistered(patient_id=patient)
        assert scheduling.runtime.processor().process(
            intake_record(event, key=patient)) == "handled"


def test_add_list_accept_decline_and_cancel_against_scheduling(tmp_path):
    from clinic_common.identity import Role

    with running("scheduling", f"sqlite:///{tmp_path}/scheduling.db",
                 sweep_seconds=0) as scheduling:
        assert clinic(scheduling.address, "location", "apply", LA_JOLLA,
                      roles=(Role.OPS,)).exit_code == 0
        _register(scheduling, "p-a", "p-b", "p-c")
        found = clinic(scheduling.address, "-q", "availability", "search", "FREE_CONSULTATION",
                       "--location", "la-jolla", "--patient", "p-a", "--days", "14",
                       "--limit", "1")
        start = found.stdout.strip()
        booked = json.loads(clinic(scheduling.address, "--json", "appointment", "book", "p-a",
                                   "--location", "la-jolla", "--type", "FREE_CONSULTATION",
                                   "--start", start).stdout)
        until = (dt.datetime.fromisoformat(start) + dt.timedelta(days=30)).isoformat()
        added = clinic(scheduling.address, "--json", "waitlist", "add", "p-b", "--type",
                       "FREE_CONSULTATION", "--location", "la-jolla", "--until", until)
        assert added.exit_code == 0, added.output
        entry = json.loads(added.stdout)
        assert (entry["state"], entry["locations"]) == ("WAITING", "la-jolla")
        other = json.loads(clinic(scheduling.address, "--json", "waitlist", "add", "p-c",
                                  "--type", "FREE_CONSULTATION", "--until", until).stdout)
        assert other["locations"] == "any"
        early = clinic(scheduling.address, "waitlist", "accept", entry["entry_id"])
        assert early.exit_code == 3 and "NO_OFFER" in early.stderr, early.output

        cancelled = clinic(scheduling.address, "appointment", "cancel", booked["appointment_id"],
                           "--reason", "patient_request")
        assert cancelled.exit_code == 0, cancelled.output
        listed = json.loads(clinic(scheduling.address, "--json", "waitlist", "list",
                                   "--location", "la-jolla").stdout)
        assert [(e["patient_id"], e["state"]) for e in listed] == [
            ("p-b", "OFFERED"), ("p-c", "WAITING")]
        assert listed[0]["offer"]["start_time"] == start
        assert listed[0]["offer_local_start"]
        table = clinic(scheduling.address, "waitlist", "list")
        assert table.exit_code == 0 and "OFFERED" in table.stdout and "p-c" in table.stdout

        accepted = clinic(scheduling.address, "--json", "waitlist", "accept", entry["entry_id"])
        assert accepted.exit_code == 0, accepted.output
        fulfilled = json.loads(accepted.stdout)
        assert fulfilled["state"] == "FULFILLED" and fulfilled["appointment"]
        shown = json.loads(clinic(scheduling.address, "--json", "appointment", "show",
                                  fulfilled["appointment"]).stdout)
        assert (shown["patient_id"], shown["start_time"]) == ("p-b", start)
        again = clinic(scheduling.address, "waitlist", "decline", entry["name"])
        assert again.exit_code == 3 and "ENTRY_CLOSED" in again.stderr, again.output

        assert clinic(scheduling.address, "-q", "waitlist", "cancel",
                      other["entry_id"]).stdout.strip() == other["name"]
        open_now = json.loads(clinic(scheduling.address, "--json", "waitlist", "list").stdout)
        assert open_now == []
        everything = json.loads(clinic(scheduling.address, "--json", "waitlist", "list",
                                       "--all", "--patient", "p-c").stdout)
        assert [e["state"] for e in everything] == ["CANCELLED"]


def test_add_needs_times_with_their_offset(tmp_path):
    result = clinic("127.0.0.1:1", "waitlist", "add", "p1", "--type", "FOLLOW_UP",
                    "--until", "2027-03-01")
    assert result.exit_code == 2 and "offset" in result.output
