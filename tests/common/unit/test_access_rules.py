"""Access rules: roles, location scope, spanning roles, and the refusal a caller gets."""

import pytest
from clinic.scheduling.v1 import appointment_service_pb2 as pb
from clinic_common.access import location_in, locations_in_scope, rule
from clinic_common.errors import FieldViolation
from clinic_common.identity import ALL_LOCATIONS, Principal, Role, acting_as
from clinic_common.names import Name

APPOINTMENT = Name("locations/{location}/appointments/{appointment}")
LOCATIONS = Name("locations/{location}", wildcard=True)
VISIT = rule(Role.NURSE, Role.BILLING, location=location_in("name", APPOINTMENT))
LIST = rule(Role.NURSE, Role.BILLING, location=location_in("parent", LOCATIONS))


def staff(*roles, locations=("la-jolla",)) -> Principal:
    return Principal("s-1", frozenset(roles), frozenset(locations))


def at(location: str) -> pb.GetAppointmentRequest:
    return pb.GetAppointmentRequest(name=f"locations/{location}/appointments/a1")


def test_a_nurse_acts_at_her_locations_only():
    nurse = staff(Role.NURSE)
    assert VISIT.refusal(nurse, at("la-jolla")) == ("la-jolla", None)
    location, refusal = VISIT.refusal(nurse, at("temecula"))
    assert (location, refusal.reason, refusal.metadata["location_id"]) == \
        ("temecula", "LOCATION_NOT_ALLOWED", "temecula")


def test_a_role_that_spans_locations_acts_everywhere():
    assert VISIT.refusal(staff(Role.BILLING, locations=()), at("temecula"))[1] is None


def test_a_spanning_role_does_not_widen_another_role():
    """A nurse at La Jolla who also does billing is a nurse at La Jolla on a nurses' method."""
    nurses_only = rule(Role.NURSE, location=location_in("name", APPOINTMENT))
    both = staff(Role.NURSE, Role.BILLING)
    assert nurses_only.refusal(both, at("temecula"))[1].reason == "LOCATION_NOT_ALLOWED"


def test_a_token_for_every_location_acts_everywhere():
    assert VISIT.refusal(staff(Role.NURSE, locations=(ALL_LOCATIONS,)), at("temecula"))[1] is None


def test_a_role_the_rule_does_not_name_is_refused_with_the_roles_it_needs():
    location, refusal = VISIT.refusal(staff(Role.FRONT_DESK), at("la-jolla"))
    assert refusal.reason == "ROLE_NOT_ALLOWED"
    assert "BILLING, NURSE" in refusal.message and "FRONT_DESK" in refusal.message


def test_a_list_over_every_location_shows_only_the_callers():
    request = pb.ListAppointmentsRequest(parent="locations/-")
    assert LIST.refusal(staff(Role.NURSE), request) == (ALL_LOCATIONS, None)
    with acting_as(staff(Role.NURSE, locations=("la-jolla", "encinitas"))):
        assert locations_in_scope(LIST) == frozenset({"la-jolla", "encinitas"})
    with acting_as(staff(Role.BILLING, locations=())):
        assert locations_in_scope(LIST) is None


def test_a_malformed_location_name_is_invalid_before_anything_else():
    with pytest.raises(FieldViolation):
        VISIT.refusal(staff(Role.NURSE), pb.GetAppointmentRequest(name="nowhere"))


def test_a_rule_names_at_least_one_role():
    with pytest.raises(ValueError):
        rule()
