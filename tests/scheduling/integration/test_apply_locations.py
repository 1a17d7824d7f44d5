"""The location files under deploy/locations, applied to a running service."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from clinic.common.v1 import types_pb2
from clinic.scheduling.v1 import availability_service_pb2 as avail_pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as avail_grpc
from clinic.scheduling.v1 import location_pb2, staff_pb2
from clinic.scheduling.v1 import location_service_pb2 as loc_pb
from clinic.scheduling.v1 import staff_service_pb2 as staff_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_scheduling import apply_locations
from clinic_scheduling.apply_locations import apply_files
from clinic_scheduling.entrypoints.location_files import LocationFileError, read

OPS = auth.token(Role.OPS, sub="ops-1")
REPO = Path(__file__).resolve().parents[3]
FILES = sorted((REPO / "deploy" / "locations").glob("*.yaml"))


def _day(value: dt.date) -> types_pb2.Date:
    return types_pb2.Date(year=value.year, month=value.month, day=value.day)


def places(lines: list[str]) -> list[str]:
    """The locations' lines of apply_files' output, without the staff's."""
    return [line for line in lines if not line.startswith("staff ")]


def staff_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("staff ")]


def all_staff(scheduling) -> dict:
    listed = scheduling.staff_api.ListStaffMembers(staff_pb.ListStaffMembersRequest(
        page_size=500)).staff_members
    return {m.staff_member_id: m for m in listed}


def all_locations(scheduling) -> list[location_pb2.Location]:
    return list(scheduling.location_api.ListLocations(loc_pb.ListLocationsRequest()).locations)


def test_the_three_clinic_files_apply_and_a_second_apply_changes_nothing(scheduling):
    assert [f.name for f in FILES] == ["encinitas.yaml", "la-jolla.yaml", "temecula.yaml"]
    applied = apply_files(scheduling.address, FILES, OPS)
    assert places(applied) == ["encinitas created", "la-jolla created", "temecula created"]
    assert staff_lines(applied) and all(line.endswith(" created")
                                        for line in staff_lines(applied))
    first, staff = all_locations(scheduling), all_staff(scheduling)
    scheduling.clock.advance(hours=1)
    again = apply_files(scheduling.address, FILES, OPS)
    assert places(again) == ["encinitas unchanged", "la-jolla unchanged", "temecula unchanged"]
    assert all(line.endswith(" unchanged") for line in staff_lines(again))
    assert all_locations(scheduling) == first
    assert all_staff(scheduling) == staff
    by_id = {loc.location_id: loc for loc in first}
    assert [loc.certifications for loc in first] == [["SPRAVATO_REMS"], ["SPRAVATO_REMS"], []]
    assert {loc.time_zone for loc in first} == {"America/Los_Angeles"}
    # Where a type may be booked is data: Temecula, not REMS certified, lists no Spravato.
    assert "SPRAVATO_SESSION" in by_id["la-jolla"].appointment_types
    assert "SPRAVATO_SESSION" not in by_id["temecula"].appointment_types
    assert "TMS_MAPPING" in by_id["temecula"].appointment_types
    kinds = {r.kind for r in by_id["temecula"].resources}
    assert location_pb2.RESOURCE_KIND_TREATMENT_ROOM not in kinds
    assert {location_pb2.RESOURCE_KIND_INFUSION_CHAIR, location_pb2.RESOURCE_KIND_TMS_DEVICE,
            location_pb2.RESOURCE_KIND_CONSULT_ROOM} <= kinds


def test_a_fourth_location_is_a_new_file(scheduling, tmp_path):
    carlsbad = tmp_path / "carlsbad.yaml"
    carlsbad.write_text(
        "location_id: carlsbad\ndisplay_name: Carlsbad\ntime_zone: America/Los_Angeles\n"
        "resources:\n  - {id: tms-1, kind: TMS_DEVICE, name: TMS device 1}\n")
    assert apply_files(scheduling.address, [carlsbad], OPS) == ["carlsbad created"]
    created = scheduling.location_api.GetLocation(
        loc_pb.GetLocationRequest(name="locations/carlsbad"))
    assert len(created.location.weekly_hours) == 5  # the policy default
    assert apply_files(scheduling.address, [carlsbad], OPS) == ["carlsbad unchanged"]


def test_an_edited_file_updates_only_what_changed(scheduling, tmp_path):
    apply_files(scheduling.address, FILES, OPS)
    edited = tmp_path / "temecula.yaml"
    edited.write_text((REPO / "deploy/locations/temecula.yaml").read_text().replace(
        "  - {id: tms-2, kind: TMS_DEVICE, name: TMS device 2}\n", ""))
    assert places(apply_files(scheduling.address, [edited], OPS)) == \
        ["temecula updated (resources)"]
    temecula = scheduling.location_api.GetLocation(
        loc_pb.GetLocationRequest(name="locations/temecula"))
    assert "tms-2" not in [r.resource_id for r in temecula.location.resources]
    assert places(apply_files(scheduling.address, [REPO / "deploy/locations/temecula.yaml"],
                              OPS)) == ["temecula updated (resources)"]
    assert places(apply_files(scheduling.address, [edited], OPS)) == \
        ["temecula updated (resources)"]


def test_every_clinic_has_rns_a_provider_tms_technicians_and_front_desk(scheduling):
    apply_files(scheduling.address, FILES, OPS)
    staff = all_staff(scheduling)
    for location_id in ("la-jolla", "encinitas", "temecula"):
        roles = {m.role for m in staff.values() if location_id in m.location_ids}
        assert roles == {staff_pb2.STAFF_ROLE_RN, staff_pb2.STAFF_ROLE_PROVIDER,
                         staff_pb2.STAFF_ROLE_TMS_TECHNICIAN, staff_pb2.STAFF_ROLE_FRONT_DESK}
    # Someone listed in two files works at both, with each file's shifts at its location.
    priya = staff["rn-priya-shah"]
    assert list(priya.location_ids) == ["encinitas", "la-jolla"]
    assert {(s.location_id, s.weekday) for s in priya.shifts} == {
        ("la-jolla", 1), ("la-jolla", 3), ("la-jolla", 5), ("encinitas", 2), ("encinitas", 4)}


def test_every_open_hour_of_every_clinic_is_staffed_for_every_type_it_books(scheduling):
    # A visit needs its staff (an infusion its RN): the rosters cover the opening hours,
    # so on an open week every start from opening to the last that fits is a slot.
    apply_files(scheduling.address, FILES, OPS)
    stub = avail_grpc.AvailabilityServiceStub(auth.authorized(grpc.insecure_channel(
        scheduling.address)))
    monday = dt.date(2027, 3, 8)  # no closures that week
    for path in FILES:
        file = read(path)
        location = file.location
        location.location_id = file.location_id
        hours = {h.weekday: h for h in location.weekly_hours}
        for code in location.appointment_types:
            slots = stub.SearchAvailability(avail_pb.SearchAvailabilityRequest(
                appointment_type=code, location_ids=[location.location_id],
                start_date=_day(monday), end_date=_day(monday + dt.timedelta(days=6)),
                page_size=500)).slots
            assert slots, (location.location_id, code)
            length = slots[0].end_time.ToDatetime() - slots[0].start_time.ToDatetime()
            found: dict[dt.date, list[dt.time]] = {}
            for slot in slots:
                local = dt.datetime.fromisoformat(slot.local_start_time)
                found.setdefault(local.date(), []).append(local.time())
            want = {}
            for offset in range(7):
                day = monday + dt.timedelta(days=offset)
                if day.isoweekday() in hours:
                    h = hours[day.isoweekday()]
                    at = dt.datetime.combine(day, dt.time(h.open_time.hours, h.open_time.minutes))
                    closes = at.replace(hour=h.close_time.hours, minute=h.close_time.minutes)
                    while at + length <= closes:
                        want.setdefault(day, []).append(at.time())
                        at += dt.timedelta(minutes=15)
            assert found == want, (location.location_id, code)


def test_a_roster_file_changes_only_its_location_of_a_shared_staff_member(scheduling, tmp_path):
    apply_files(scheduling.address, FILES, OPS)
    edited = tmp_path / "encinitas.yaml"
    text = (REPO / "deploy/locations/encinitas.yaml").read_text()
    start = text.index("  - id: rn-priya-shah")
    end = text.index("  - id:", start + 1)
    edited.write_text(text[:start] + text[end:])
    changed = [line for line in apply_files(scheduling.address, [edited], OPS)
               if not line.endswith("unchanged")]
    assert changed == ["staff rn-priya-shah updated (location_ids, shifts)"]
    again = apply_files(scheduling.address, [edited], OPS)
    assert all(line.endswith("unchanged") for line in again)
    priya = all_staff(scheduling)["rn-priya-shah"]
    assert list(priya.location_ids) == ["la-jolla"]
    assert {s.location_id for s in priya.shifts} == {"la-jolla"}


def test_one_person_with_two_roles_across_files_applies_nothing(scheduling, tmp_path):
    bad = tmp_path / "carlsbad.yaml"
    bad.write_text(
        "location_id: carlsbad\ndisplay_name: Carlsbad\ntime_zone: America/Los_Angeles\n"
        "staff:\n  - {id: rn-priya-shah, name: 'Priya Shah, RN', role: FRONT_DESK}\n")
    with pytest.raises(LocationFileError):
        apply_files(scheduling.address, [*FILES, bad], OPS)
    assert all_locations(scheduling) == []


@pytest.mark.parametrize("content", [
    "display_name: X\ntime_zone: UTC\n",  # no location_id
    "location_id: x\ndisplay_name: X\ntime_zone: UTC\ncolour: blue\n",
    "location_id: x\ndisplay_name: X\ntime_zone: UTC\nweekly_hours: {funday: ['08:00-19:00']}\n",
    "location_id: x\ndisplay_name: X\ntime_zone: UTC\nresources: [{id: a, kind: SOFA, name: A}]\n",
    "- just\n- a list\n",
    "location_id: x\ndisplay_name: X\ntime_zone: UTC\n"
    "staff: [{id: a, name: A, role: JANITOR}]\n",
])
def test_a_malformed_file_applies_nothing(scheduling, tmp_path, content):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    with pytest.raises(LocationFileError) as refused:
        apply_files(scheduling.address, [FILES[0], bad], OPS)
    assert str(bad) in str(refused.value)
    assert all_locations(scheduling) == []


def test_a_file_the_service_refuses_is_reported_with_its_reason(scheduling, tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("CLINIC_TOKEN", OPS)
    bad = tmp_path / "oceanside.yaml"
    bad.write_text("location_id: oceanside\ndisplay_name: Oceanside\ntime_zone: Mars/Base\n")
    assert apply_locations.main(["--target", scheduling.address, str(bad)]) == 1
    assert "INVALID_ARGUMENT" in capsys.readouterr().err
    assert all_locations(scheduling) == []


def test_the_command_line_applies_the_files(scheduling):
    done = subprocess.run(
        [sys.executable, "-m", "clinic_scheduling.apply_locations", "--target",
         scheduling.address, *map(str, FILES)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "CLINIC_TOKEN": OPS})
    assert done.returncode == 0, done.stderr
    assert places(done.stdout.splitlines()) == ["encinitas created", "la-jolla created",
                                                "temecula created"]


def test_the_command_line_needs_a_token(scheduling, monkeypatch, capsys):
    monkeypatch.delenv("CLINIC_TOKEN", raising=False)
    assert apply_locations.main(["--target", scheduling.address, str(FILES[0])]) == 2
    assert "CLINIC_TOKEN" in capsys.readouterr().err
    assert all_locations(scheduling) == []


def test_a_front_desk_token_cannot_change_locations(scheduling):
    desk = auth.token(Role.FRONT_DESK, sub="desk-1", locations=("encinitas",))
    with pytest.raises(apply_locations.ApplyError) as refused:
        apply_files(scheduling.address, [FILES[0]], desk)
    assert "PERMISSION_DENIED" in str(refused.value)
    assert all_locations(scheduling) == []
