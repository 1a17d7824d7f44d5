"""Appointment types over gRPC, on SQLite and PostgreSQL: readable, listable resources."""

import datetime as dt

import grpc
import pytest
from clinic.scheduling.v1 import appointment_type_pb2, location_pb2
from clinic.scheduling.v1 import appointment_type_service_pb2 as type_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from google.protobuf import field_mask_pb2

from tests.scheduling.helpers import PACIFIC, reason

AT = dt.datetime(2027, 3, 3, 10, 0, tzinfo=PACIFIC)


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


def update(scheduling, mask, request_id="", **fields):
    return scheduling.type_api.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
        appointment_type=appointment_type_pb2.AppointmentType(
            name="appointmentTypes/FOLLOW_UP", **fields),
        update_mask=field_mask_pb2.FieldMask(paths=mask), request_id=request_id)
    ).appointment_type


def get_type(scheduling, code="FOLLOW_UP"):
    return scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
        name=f"appointmentTypes/{code}")).appointment_type


def test_an_update_changes_only_the_masked_fields(scheduling):
    before = get_type(scheduling)
    changed = update(scheduling, ["display_name", "duration_minutes"],
                     display_name="Follow-up (long)", duration_minutes=45,
                     observation_minutes=99, modality="TMS")
    assert (changed.display_name, changed.duration_minutes) == ("Follow-up (long)", 45)
    assert (changed.observation_minutes, changed.modality, list(changed.staff_roles)) == (
        before.observation_minutes, before.modality, list(before.staff_roles))
    assert get_type(scheduling) == changed
    needs = update(scheduling, ["resource_kinds", "staff_roles"], staff_roles=["PROVIDER"],
                   resource_kinds=[location_pb2.RESOURCE_KIND_CONSULT_ROOM])
    assert list(needs.resource_kinds) == [location_pb2.RESOURCE_KIND_CONSULT_ROOM]
    assert list(needs.staff_roles) == ["PROVIDER"] and needs.duration_minutes == 45


def test_bookings_after_an_update_take_the_new_length_and_earlier_ones_keep_theirs(scheduling):
    scheduling.create_location()
    scheduling.register("p1")
    first = scheduling.book("p1", AT, kind="FOLLOW_UP")  # the type is read (and cached) here
    update(scheduling, ["duration_minutes"], duration_minutes=50)
    second = scheduling.book("p1", AT + dt.timedelta(hours=2), kind="FOLLOW_UP")
    assert (second.end_time.ToDatetime() - second.start_time.ToDatetime()) == \
        dt.timedelta(minutes=50)
    kept = scheduling.appointments(patient_id="p1")[0]
    assert kept.name == first.name and kept.end_time == first.end_time


def test_a_retried_update_returns_the_first_result_and_bad_input_changes_nothing(scheduling):
    first = update(scheduling, ["duration_minutes"], "u-1", duration_minutes=40)
    assert update(scheduling, ["duration_minutes"], "u-1", duration_minutes=40) == first
    before = get_type(scheduling)
    for mask, fields in [(["modality"], {"modality": "TMS"}),
                         (["code"], {"code": "X"}),
                         (["duration_minutes"], {"duration_minutes": 0}),
                         (["observation_minutes"], {"observation_minutes": 40}),
                         (["staff_roles"], {"staff_roles": ["JANITOR"]}),
                         (["staff_roles"], {"staff_roles": ["RN", "RN"]}),
                         (["resource_kinds"], {"resource_kinds": [0]}),
                         (["required_certification"], {"required_certification": "rems"}),
                         (["display_name"], {"display_name": " "})]:
        with pytest.raises(grpc.RpcError) as refused:
            update(scheduling, mask, **fields)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, mask
        assert reason(refused.value) == "INVALID_FIELD"
    assert get_type(scheduling) == before
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.type_api.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
            appointment_type=appointment_type_pb2.AppointmentType(
                name="appointmentTypes/NOPE", duration_minutes=30),
            update_mask=field_mask_pb2.FieldMask(paths=["duration_minutes"])))
    assert reason(refused.value) == "APPOINTMENT_TYPE_NOT_FOUND"


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.NURSE, Role.BILLING])
def test_only_ops_and_admins_update_types(scheduling, role):
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.type_api.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
            appointment_type=appointment_type_pb2.AppointmentType(
                name="appointmentTypes/FOLLOW_UP", duration_minutes=40),
            update_mask=field_mask_pb2.FieldMask(paths=["duration_minutes"])),
            metadata=auth.metadata(role, sub="s-1"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert get_type(scheduling).duration_minutes == 30
