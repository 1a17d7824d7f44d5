"""Appointment types over gRPC, on SQLite and PostgreSQL: readable, listable resources."""

import grpc
import pytest
from clinic.scheduling.v1 import appointment_type_service_pb2 as type_pb
from clinic.scheduling.v1 import location_pb2
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.scheduling.helpers import reason


def all_types(scheduling, **call) -> list:
    found, token = [], ""
    while True:
        page = scheduling.type_api.ListAppointmentTypes(
            type_pb.ListAppointmentTypesRequest(page_size=2, page_token=token), **call)
        found += page.appointment_types
        token = page.next_page_token
        if not token:
            return found


def test_every_type_is_listed_in_code_order_a_page_at_a_time(scheduling):
    codes = [t.code for t in all_types(scheduling)]
    assert codes == sorted(codes)
    assert {"IV_KETAMINE_INFUSION", "SPRAVATO_SESSION", "TMS_SESSION", "FOLLOW_UP",
            "FREE_CONSULTATION", "PSYCHIATRIC_EVALUATION"} <= set(codes)


def test_a_type_says_how_long_it_takes_and_what_it_needs(scheduling):
    spravato = scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
        name="appointmentTypes/SPRAVATO_SESSION")).appointment_type
    assert (spravato.name, spravato.modality, spravato.required_certification) == \
        ("appointmentTypes/SPRAVATO_SESSION", "SPRAVATO", "SPRAVATO_REMS")
    assert spravato.observation_minutes == 120
    assert list(spravato.resource_kinds) == [location_pb2.RESOURCE_KIND_TREATMENT_ROOM]
    infusion = scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
        name="appointmentTypes/IV_KETAMINE_INFUSION")).appointment_type
    assert list(infusion.resource_kinds) == [location_pb2.RESOURCE_KIND_INFUSION_CHAIR]
    assert "RN" in infusion.staff_roles


def test_an_unknown_type_is_not_found_naming_the_known_ones(scheduling):
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
            name="appointmentTypes/REIKI"))
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.NOT_FOUND, "APPOINTMENT_TYPE_NOT_FOUND")
    assert "TMS_SESSION" in refused.value.details()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.BILLING, Role.OPS])
def test_every_staff_role_reads_the_types(scheduling, role):
    assert all_types(scheduling, metadata=auth.metadata(role, sub="s-1"))


def test_tms_mapping_and_the_pain_infusion_are_types(scheduling):
    mapping = scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
        name="appointmentTypes/TMS_MAPPING")).appointment_type
    assert (mapping.duration_minutes, mapping.modality, list(mapping.resource_kinds)) == \
        (90, "TMS", [location_pb2.RESOURCE_KIND_TMS_DEVICE])
    pain = scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
        name="appointmentTypes/PAIN_KETAMINE_INFUSION")).appointment_type
    assert (pain.duration_from_plan, pain.observation_minutes, pain.modality) == \
        (True, 45, "IV_KETAMINE")
    assert list(pain.resource_kinds) == [location_pb2.RESOURCE_KIND_INFUSION_CHAIR]
