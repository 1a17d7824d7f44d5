"""What a location accepts, and how it changes: validation, defaults, no-op updates."""

import datetime as dt

import pytest
from clinic_common.errors import FieldViolation
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.location_details import FIELDS, LocationDetails, ResourceSpec
from clinic_scheduling.domain.policy import HoursSpec, SchedulingPolicy

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
DEFAULT = SchedulingPolicy().default_hours
CHAIRS = (ResourceSpec("chair-1", "INFUSION_CHAIR", "Chair 1"),
          ResourceSpec("chair-2", "INFUSION_CHAIR", "Chair 2"),
          ResourceSpec("consult-1", "CONSULT_ROOM", "Consult 1"))


def details(**overrides) -> LocationDetails:
    values = {"display_name": "Encinitas", "time_zone": "America/Los_Angeles",
              "resources": CHAIRS, "certifications": ("SPRAVATO_REMS",)}
    values.update(overrides)
    return LocationDetails(**values)


def test_a_location_given_no_hours_gets_the_policy_default_of_weekdays_8_to_19():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    assert sorted((h.weekday, h.open_time, h.close_time) for h in location.weekly_hours) == \
        [(day, dt.time(8), dt.time(19)) for day in range(1, 6)]


@pytest.mark.parametrize("bad, field", [
    ({"time_zone": "Pacific/Atlantis"}, "location.time_zone"),
    ({"time_zone": ""}, "location.time_zone"),
    ({"display_name": " "}, "location.display_name"),
    ({"weekly_hours": (HoursSpec(1, dt.time(19), dt.time(8)),)}, "location.weekly_hours"),
    ({"weekly_hours": (HoursSpec(1, dt.time(8), dt.time(12)),
                       HoursSpec(1, dt.time(11), dt.time(15)))}, "location.weekly_hours"),
    ({"certifications": ("spravato rems",)}, "location.certifications"),
    ({"resources": (ResourceSpec("Chair 1", "INFUSION_CHAIR", "x"),)},
     "location.resources.resource_id"),
    ({"resources": (ResourceSpec("chair-1", "SOFA", "x"),)}, "location.resources.kind"),
    ({"resources": CHAIRS + CHAIRS[:1]}, "location.resources"),
])
def test_malformed_location_fields_are_refused_by_name(bad, field):
    with pytest.raises(FieldViolation) as refused:
        Location.create("encinitas", details(**bad), DEFAULT, NOW)
    assert refused.value.field == field


def test_a_location_id_must_be_a_slug():
    with pytest.raises(FieldViolation) as refused:
        Location.create("La Jolla", details(), DEFAULT, NOW)
    assert refused.value.field == "location_id"


def test_changing_a_location_to_what_it_already_is_changes_nothing():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    later = NOW + dt.timedelta(days=1)
    assert location.change(details(), set(FIELDS), DEFAULT, later) is False
    assert location.updated_at == NOW


def test_changing_resources_keeps_unchanged_rows_and_renames_in_place():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    chair_1 = location.resource("chair-1")
    renamed = (ResourceSpec("chair-1", "INFUSION_CHAIR", "Suite A"), CHAIRS[2])
    assert location.change(details(resources=renamed), {"resources"}, DEFAULT, NOW) is True
    assert location.resource("chair-1") is chair_1 and chair_1.display_name == "Suite A"
    assert location.resource("chair-2") is None


def test_only_masked_fields_change():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    location.change(details(display_name="Encinitas North", time_zone="UTC"),
                    {"display_name"}, DEFAULT, NOW)
    assert (location.display_name, location.time_zone) == \
        ("Encinitas North", "America/Los_Angeles")


def test_resources_are_picked_by_kind_among_the_free_ones():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    assert location.pick_resources([], ["INFUSION_CHAIR"], busy={"chair-1"}) == ["chair-2"]
    assert location.pick_resources(["chair-2"], ["INFUSION_CHAIR"], busy=set()) == ["chair-2"]
    assert location.pick_resources([], [], busy=set()) == []


def test_a_busy_requested_resource_or_no_free_one_is_refused_with_a_reason():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    with pytest.raises(errors.SlotTaken) as taken:
        location.pick_resources(["chair-1"], ["INFUSION_CHAIR"], busy={"chair-1"})
    assert taken.value.reason == "RESOURCE_ALREADY_BOOKED"
    with pytest.raises(errors.NoResourceAvailable):
        location.pick_resources([], ["INFUSION_CHAIR"], busy={"chair-1", "chair-2"})
    with pytest.raises(errors.NoResourceAvailable):
        location.pick_resources([], ["TMS_DEVICE"], busy=set())
    with pytest.raises(FieldViolation) as unknown:
        location.pick_resources(["chair-9"], [], busy=set())
    assert unknown.value.reason == "RESOURCE_UNKNOWN"


def test_a_requested_resource_of_a_kind_the_type_does_not_use_is_refused_naming_its_kinds():
    location = Location.create("encinitas", details(), DEFAULT, NOW)
    with pytest.raises(errors.ResourceKindMismatch) as wrong:
        location.pick_resources(["chair-1"], ["TMS_DEVICE"], busy=set())
    assert (wrong.value.reason, wrong.value.field) == \
        ("RESOURCE_KIND_MISMATCH", "appointment.resource_ids")
    assert "needs: TMS_DEVICE" in wrong.value.message
    with pytest.raises(errors.ResourceKindMismatch) as none:
        location.pick_resources(["chair-1"], [], busy=set())
    assert "needs: none" in none.value.message
