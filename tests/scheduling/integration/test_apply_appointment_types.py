"""deploy/appointment-types.yaml applied to a running service with the location files:
the types as the file defines them, through CreateAppointmentType/UpdateAppointmentType."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from clinic.scheduling.v1 import appointment_type_pb2, location_pb2
from clinic.scheduling.v1 import appointment_type_service_pb2 as type_pb
from clinic_scheduling import apply_locations
from clinic_scheduling.apply_locations import apply_files
from clinic_scheduling.entrypoints.appointment_type_files import AppointmentTypeFileError, read

from tests.scheduling.integration.test_apply_locations import FILES, OPS, REPO, all_locations

TYPES = REPO / "deploy" / "appointment-types.yaml"
SEEDED = ["FOLLOW_UP", "FREE_CONSULTATION", "IV_KETAMINE_INFUSION", "PAIN_KETAMINE_INFUSION",
          "PSYCHIATRIC_EVALUATION", "SPRAVATO_SESSION", "TMS_MAPPING", "TMS_SESSION"]


def all_types(scheduling) -> dict[str, appointment_type_pb2.AppointmentType]:
    listed = scheduling.type_api.ListAppointmentTypes(
        type_pb.ListAppointmentTypesRequest(page_size=100)).appointment_types
    return {t.code: t for t in listed}


def type_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("appointment type ")]


def edited(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(TYPES.read_text())
    change({t["code"]: t for t in data["appointment_types"]}, data["appointment_types"])
    path = tmp_path / "appointment-types.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_file_defines_every_seeded_type_as_the_service_has_it(scheduling):
    # The file was written from the migrations' definitions: applied to a fresh service,
    # it changes nothing, and the locations apply after it.
    before = all_types(scheduling)
    assert sorted(before) == SEEDED
    assert sorted(t.code for t in read(TYPES).types) == SEEDED
    applied = apply_files(scheduling.address, [*FILES, TYPES], OPS)
    assert type_lines(applied) == [f"appointment type {t.code} unchanged"
                                   for t in read(TYPES).types]
    assert applied.index(type_lines(applied)[-1]) < applied.index("encinitas created")
    assert all_types(scheduling) == before
    assert len(all_locations(scheduling)) == 3


def test_a_new_type_in_the_file_is_created_and_a_location_may_book_it_in_the_same_run(
        scheduling, tmp_path):
    def add(_, types):
        types.append({"code": "KETAMINE_IM_SESSION", "display_name": "IM ketamine session",
                      "modality": "IV_KETAMINE", "parts": [
                          {"kind": "DOSE", "minutes": 15, "resource_kinds": ["TREATMENT_ROOM"],
                           "staff_roles": ["RN"]},
                          {"kind": "OBSERVATION", "minutes": 60,
                           "resource_kinds": ["TREATMENT_ROOM"]}]})
    types = edited(tmp_path, add)
    clinic = tmp_path / "carlsbad.yaml"
    clinic.write_text("location_id: carlsbad\ndisplay_name: Carlsbad\n"
                      "time_zone: America/Los_Angeles\nappointment_types: [KETAMINE_IM_SESSION]\n")
    applied = apply_files(scheduling.address, [clinic, types], OPS)
    assert "appointment type KETAMINE_IM_SESSION created" in applied
    assert "carlsbad created" in applied
    made = all_types(scheduling)["KETAMINE_IM_SESSION"]
    assert (made.duration_minutes, made.observation_minutes, made.modality) == \
        (75, 60, "IV_KETAMINE")
    assert [p.kind for p in made.parts] == [appointment_type_pb2.APPOINTMENT_TYPE_PART_KIND_DOSE,
                                            appointment_type_pb2.APPOINTMENT_TYPE_PART_KIND_OBSERVATION]
    again = apply_files(scheduling.address, [clinic, types], OPS)
    assert len(type_lines(again)) == len(SEEDED) + 1
    assert all(line.endswith(" unchanged") for line in type_lines(again))
    assert "carlsbad unchanged" in again
    assert all_types(scheduling)["KETAMINE_IM_SESSION"] == made


def test_a_changed_type_is_updated_in_the_fields_that_changed_only(scheduling, tmp_path):
    def longer_recovery(by_code, _):
        by_code["IV_KETAMINE_INFUSION"]["parts"][1]["minutes"] = 60
        by_code["TMS_SESSION"]["display_name"] = "TMS treatment session"
    types = edited(tmp_path, longer_recovery)
    before = all_types(scheduling)
    applied = apply_files(scheduling.address, [types], OPS)
    assert "appointment type IV_KETAMINE_INFUSION updated (parts)" in applied
    assert "appointment type TMS_SESSION updated (display_name)" in applied
    assert len([line for line in applied if " updated " in line]) == 2
    after = all_types(scheduling)
    iv = after["IV_KETAMINE_INFUSION"]
    assert (iv.duration_minutes, iv.observation_minutes) == (105, 60)
    assert after["TMS_SESSION"].display_name == "TMS treatment session"
    assert after["TMS_SESSION"].parts == before["TMS_SESSION"].parts
    assert {c: t for c, t in after.items() if c not in ("IV_KETAMINE_INFUSION", "TMS_SESSION")} \
        == {c: t for c, t in before.items() if c not in ("IV_KETAMINE_INFUSION", "TMS_SESSION")}
    assert type_lines(apply_files(scheduling.address, [types], OPS)) == \
        [f"appointment type {code} unchanged" for code in
         [t["code"] for t in yaml.safe_load(types.read_text())["appointment_types"]]]
    # Back to the repository's file: a new change, not a replay of the first.
    back = apply_files(scheduling.address, [TYPES], OPS)
    assert "appointment type IV_KETAMINE_INFUSION updated (parts)" in back
    assert all_types(scheduling)["IV_KETAMINE_INFUSION"] == before["IV_KETAMINE_INFUSION"]


def test_a_modality_change_is_refused_and_reported(scheduling, tmp_path, capsys, monkeypatch):
    def to_spravato(by_code, _):
        by_code["TMS_SESSION"]["modality"] = "SPRAVATO"
    types = edited(tmp_path, to_spravato)
    monkeypatch.setenv("CLINIC_TOKEN", OPS)
    assert apply_locations.main(["--target", scheduling.address, str(types)]) == 1
    err = capsys.readouterr().err
    assert "TMS_SESSION" in err and "modality" in err
    assert all_types(scheduling)["TMS_SESSION"].modality == "TMS"


def test_parts_the_service_refuses_are_reported_with_the_type(scheduling, tmp_path):
    def too_long(by_code, _):
        by_code["FOLLOW_UP"]["parts"][0]["minutes"] = 800
    types = edited(tmp_path, too_long)
    with pytest.raises(apply_locations.ApplyError) as refused:
        apply_files(scheduling.address, [types], OPS)
    assert "FOLLOW_UP" in str(refused.value) and "INVALID_ARGUMENT" in str(refused.value)
    assert all_types(scheduling)["FOLLOW_UP"].duration_minutes == 30


@pytest.mark.parametrize("content", [
    "appointment_types: [{code: X, display_name: X, parts: [{kind: NAP, minutes: 5}]}]\n",
    "appointment_types: [{code: X, display_name: X, parts: [{kind: SESSION, minutes: 5,"
    " resource_kinds: [SOFA]}]}]\n",
    "appointment_types: [{code: X, display_name: X, colour: red, parts: "
    "[{kind: SESSION, minutes: 5}]}]\n",
    "appointment_types: [{code: X, display_name: X, parts: []}]\n",
    "appointment_types: [{code: X, display_name: X, parts: [{kind: SESSION, minutes: '5'}]}]\n",
    "appointment_types:\n- {code: X, display_name: X, parts: [{kind: SESSION, minutes: 5}]}\n"
    "- {code: X, display_name: Y, parts: [{kind: SESSION, minutes: 5}]}\n",
])
def test_a_malformed_type_file_applies_nothing(scheduling, tmp_path, content):
    bad = tmp_path / "types.yaml"
    bad.write_text(content)
    before = all_types(scheduling)
    with pytest.raises(AppointmentTypeFileError) as refused:
        apply_files(scheduling.address, [FILES[0], bad], OPS)
    assert str(bad) in str(refused.value)
    assert all_types(scheduling) == before
    assert all_locations(scheduling) == []


def test_the_command_line_applies_the_types_and_the_locations(scheduling, tmp_path):
    types = edited(tmp_path, lambda by_code, _: by_code["FOLLOW_UP"].update(
        display_name="Follow-up visit"))
    done = subprocess.run(
        [sys.executable, "-m", "clinic_scheduling.apply_locations", "--target",
         scheduling.address, str(types), *map(str, FILES)], capture_output=True, text=True,
        timeout=60, env={**os.environ, "CLINIC_TOKEN": OPS})
    assert done.returncode == 0, done.stderr
    assert "appointment type FOLLOW_UP updated (display_name)" in done.stdout.splitlines()
    assert "la-jolla created" in done.stdout.splitlines()
    assert all_types(scheduling)["FOLLOW_UP"].display_name == "Follow-up visit"


def test_resource_kinds_in_the_file_are_the_api_enum():
    kinds = {k for t in read(TYPES).types for p in t.parts for k in p.resource_kinds}
    assert kinds == {location_pb2.RESOURCE_KIND_CONSULT_ROOM,
                     location_pb2.RESOURCE_KIND_INFUSION_CHAIR,
                     location_pb2.RESOURCE_KIND_TREATMENT_ROOM,
                     location_pb2.RESOURCE_KIND_TMS_DEVICE}
