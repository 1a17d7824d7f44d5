"""Appointment types as ordered parts over gRPC, on SQLite and PostgreSQL: seeded for the
existing types, created, changed by field mask, refused when they cannot be laid out, and
what a booking's length follows."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import appointment_type_pb2, location_pb2
from clinic.scheduling.v1 import appointment_type_service_pb2 as type_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from google.protobuf import field_mask_pb2

from tests.scheduling.helpers import PACIFIC, reason

AT = dt.datetime(2027, 3, 3, 10, 0, tzinfo=PACIFIC)
PK = appointment_type_pb2
CHAIR = location_pb2.RESOURCE_KIND_INFUSION_CHAIR
ROOM = location_pb2.RESOURCE_KIND_TREATMENT_ROOM
CONSULT_ROOM = location_pb2.RESOURCE_KIND_CONSULT_ROOM


def get_type(scheduling, code):
    return scheduling.type_api.GetAppointmentType(type_pb.GetAppointmentTypeRequest(
        name=f"appointmentTypes/{code}")).appointment_type


def laid_out(kind) -> list[tuple]:
    return [(p.kind, p.minutes, p.length_from_plan, p.min_minutes, p.max_minutes,
             list(p.resource_kinds), list(p.staff_roles)) for p in kind.parts]


def part(kind, minutes, resources=(), roles=(), **fields):
    return PK.AppointmentTypePart(kind=kind, minutes=minutes, resource_kinds=list(resources),
                                  staff_roles=list(roles), **fields)


def create(scheduling, code="KETAMINE_IM_SESSION", parts=None, request_id="", **fields):
    fields.setdefault("display_name", "IM ketamine session")
    given = PK.AppointmentType(parts=parts if parts is not None else [
        part(PK.APPOINTMENT_TYPE_PART_KIND_DOSE, 20, [ROOM], ["RN"]),
        part(PK.APPOINTMENT_TYPE_PART_KIND_OBSERVATION, 60, [ROOM], ["OBSERVER"])], **fields)
    return scheduling.type_api.CreateAppointmentType(type_pb.CreateAppointmentTypeRequest(
        appointment_type_id=code, appointment_type=given, request_id=request_id)
    ).appointment_type


def set_parts(scheduling, code, parts, mask=("parts",), request_id="", **fields):
    return scheduling.type_api.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
        appointment_type=PK.AppointmentType(name=f"appointmentTypes/{code}", parts=parts,
                                            **fields),
        update_mask=field_mask_pb2.FieldMask(paths=list(mask)), request_id=request_id)
    ).appointment_type


def test_the_existing_types_are_laid_out_in_parts(scheduling):
    assert laid_out(get_type(scheduling, "IV_KETAMINE_INFUSION")) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_INFUSION, 45, False, 0, 0, [CHAIR], ["RN"]),
        (PK.APPOINTMENT_TYPE_PART_KIND_RECOVERY, 45, False, 0, 0, [CHAIR], [])]
    assert laid_out(get_type(scheduling, "SPRAVATO_SESSION")) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_DOSE, 15, False, 0, 0, [ROOM], ["OBSERVER"]),
        (PK.APPOINTMENT_TYPE_PART_KIND_OBSERVATION, 120, False, 0, 0, [ROOM], ["OBSERVER"])]
    assert laid_out(get_type(scheduling, "PAIN_KETAMINE_INFUSION")) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_INFUSION, 40, True, 40, 240, [CHAIR], ["RN"]),
        (PK.APPOINTMENT_TYPE_PART_KIND_RECOVERY, 45, False, 0, 0, [CHAIR], [])]
    tms = location_pb2.RESOURCE_KIND_TMS_DEVICE
    assert laid_out(get_type(scheduling, "TMS_SESSION")) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_SESSION, 40, False, 0, 0, [tms], ["TMS_TECHNICIAN"])]
    assert laid_out(get_type(scheduling, "TMS_MAPPING")) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_SESSION, 90, False, 0, 0, [tms],
         ["PROVIDER", "TMS_TECHNICIAN"])]
    assert laid_out(get_type(scheduling, "PSYCHIATRIC_EVALUATION")) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 60, False, 0, 0, [CONSULT_ROOM],
         ["PROVIDER"])]


def test_a_created_type_derives_its_length_and_needs_from_its_parts(scheduling):
    made = create(scheduling, modality="SPRAVATO")
    assert (made.name, made.code, made.display_name, made.modality) == (
        "appointmentTypes/KETAMINE_IM_SESSION", "KETAMINE_IM_SESSION", "IM ketamine session",
        "SPRAVATO")
    assert (made.duration_minutes, made.observation_minutes, made.duration_from_plan) == \
        (80, 60, False)
    assert list(made.resource_kinds) == [ROOM]
    assert sorted(made.staff_roles) == ["OBSERVER", "RN"]
    assert laid_out(made)[1] == (PK.APPOINTMENT_TYPE_PART_KIND_OBSERVATION, 60, False, 0, 0,
                                 [ROOM], ["OBSERVER"])
    assert get_type(scheduling, "KETAMINE_IM_SESSION") == made


def test_a_retried_create_returns_the_first_and_a_taken_code_is_refused(scheduling):
    first = create(scheduling, request_id="c-1")
    assert create(scheduling, request_id="c-1") == first
    with pytest.raises(grpc.RpcError) as refused:
        create(scheduling, request_id="c-2")
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.ALREADY_EXISTS, "APPOINTMENT_TYPE_ALREADY_EXISTS")
    with pytest.raises(grpc.RpcError) as refused:
        create(scheduling, code="FOLLOW_UP")
    assert reason(refused.value) == "APPOINTMENT_TYPE_ALREADY_EXISTS"


@pytest.mark.parametrize("parts, field, says", [
    ([], "appointment_type.parts", "at least one part"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 0, [CONSULT_ROOM])],
     "appointment_type.parts[0].minutes", "must be 1 to"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, -5)],
     "appointment_type.parts[0].minutes", "must be 1 to"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 30, roles=["JANITOR"])],
     "appointment_type.parts[0].staff_roles", "RN, OBSERVER, PROVIDER, TMS_TECHNICIAN"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 30, resources=[0])],
     "appointment_type.parts[0].resource_kinds", "CONSULT_ROOM, TREATMENT_ROOM"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 30, resources=[77])],
     "appointment_type.parts[0].resource_kinds", "INFUSION_CHAIR"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_UNSPECIFIED, 30)],
     "appointment_type.parts[0].kind", "DOSE, INFUSION, RECOVERY"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_INFUSION, 40, min_minutes=40, max_minutes=240)],
     "appointment_type.parts[0].min_minutes", "length_from_plan"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_INFUSION, 40, length_from_plan=True,
           min_minutes=50, max_minutes=240)],
     "appointment_type.parts[0].max_minutes", "min_minutes <= minutes"),
    ([part(PK.APPOINTMENT_TYPE_PART_KIND_RECOVERY, 30)],
     "appointment_type.parts[0].kind", "not with RECOVERY"),
])
def test_parts_that_cannot_be_laid_out_are_refused_naming_the_field(scheduling, parts, field,
                                                                     says):
    before = get_type(scheduling, "FOLLOW_UP")
    for attempt in (lambda: create(scheduling, parts=parts),
                    lambda: set_parts(scheduling, "FOLLOW_UP", parts)):
        with pytest.raises(grpc.RpcError) as refused:
            attempt()
        assert (refused.value.code(), reason(refused.value)) == \
            (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
        assert field in refused.value.details() and says in refused.value.details()
    assert get_type(scheduling, "FOLLOW_UP") == before
    with pytest.raises(grpc.RpcError) as refused:
        get_type(scheduling, "KETAMINE_IM_SESSION")
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def test_create_refuses_a_bad_code_or_modality(scheduling):
    for fields in [{"code": "im session"}, {"modality": "REIKI"}, {"display_name": ""}]:
        code = fields.pop("code", "KETAMINE_IM_SESSION")
        with pytest.raises(grpc.RpcError) as refused:
            create(scheduling, code=code, **fields)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, fields


def test_parts_are_set_alone_and_the_other_fields_follow(scheduling):
    before = get_type(scheduling, "FOLLOW_UP")
    changed = set_parts(scheduling, "FOLLOW_UP", [
        part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 25, [CONSULT_ROOM], ["PROVIDER"]),
        part(PK.APPOINTMENT_TYPE_PART_KIND_OBSERVATION, 20, [CONSULT_ROOM])],
        request_id="p-1")
    assert (changed.duration_minutes, changed.observation_minutes) == (45, 20)
    assert list(changed.resource_kinds) == [CONSULT_ROOM]
    assert list(changed.staff_roles) == ["PROVIDER"]
    assert changed.display_name == before.display_name
    assert get_type(scheduling, "FOLLOW_UP") == changed
    with pytest.raises(grpc.RpcError) as refused:
        set_parts(scheduling, "FOLLOW_UP", changed.parts, mask=("parts", "duration_minutes"),
                  duration_minutes=60)
    assert reason(refused.value) == "INVALID_FIELD" and "update_mask" in \
        refused.value.details()
    assert get_type(scheduling, "FOLLOW_UP") == changed


def test_changing_the_length_lays_the_parts_out_anew_keeping_their_kinds(scheduling):
    changed = scheduling.type_api.UpdateAppointmentType(type_pb.UpdateAppointmentTypeRequest(
        appointment_type=PK.AppointmentType(name="appointmentTypes/IV_KETAMINE_INFUSION",
                                            duration_minutes=120),
        update_mask=field_mask_pb2.FieldMask(paths=["duration_minutes"]))).appointment_type
    assert laid_out(changed) == [
        (PK.APPOINTMENT_TYPE_PART_KIND_INFUSION, 75, False, 0, 0, [CHAIR], ["RN"]),
        (PK.APPOINTMENT_TYPE_PART_KIND_RECOVERY, 45, False, 0, 0, [CHAIR], [])]


def test_a_booking_lasts_as_long_as_the_parts(scheduling):
    scheduling.create_location()
    scheduling.register("p1")
    create(scheduling, code="LONG_CONSULT", display_name="Long consultation", parts=[
        part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 50, [CONSULT_ROOM], ["PROVIDER"]),
        part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 25, [CONSULT_ROOM], ["PROVIDER"])])
    booked = scheduling.book("p1", AT, kind="LONG_CONSULT")
    assert booked.end_time.ToDatetime() - booked.start_time.ToDatetime() == \
        dt.timedelta(minutes=75)
    assert list(booked.resource_ids) == ["consult-1"]
    assert [s.role for s in booked.staff] == ["PROVIDER"]


@pytest.mark.parametrize("plan_minutes, visit_minutes", [(90, 135), (20, 85), (300, 285)])
def test_the_plan_gives_the_infusion_length_within_the_parts_range(scheduling, plan_minutes,
                                                                   visit_minutes):
    scheduling.create_location()
    scheduling.register("p1")
    scheduling.clear("p1", intake.MODALITY_IV_KETAMINE, duration_minutes=plan_minutes)
    booked = scheduling.book("p1", AT, kind="PAIN_KETAMINE_INFUSION")
    assert booked.end_time.ToDatetime() - booked.start_time.ToDatetime() == \
        dt.timedelta(minutes=visit_minutes)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.NURSE, Role.BILLING])
def test_only_ops_and_admins_create_types(scheduling, role):
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.type_api.CreateAppointmentType(type_pb.CreateAppointmentTypeRequest(
            appointment_type_id="X_TYPE", appointment_type=PK.AppointmentType(
                display_name="x", parts=[part(PK.APPOINTMENT_TYPE_PART_KIND_CONSULT, 30)])),
            metadata=auth.metadata(role, sub="s-1"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
