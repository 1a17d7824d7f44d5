"""Finding a time over a real socket, on SQLite and PostgreSQL."""

import datetime as dt

import grpc
import pytest
from clinic.common.v1 import types_pb2
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import availability_service_pb2 as pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as pb_grpc
from clinic.scheduling.v1 import location_pb2, staff_pb2
from clinic_devtools.testing import auth

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.test_staff_assignment import add_staff

WEDNESDAY = dt.date(2027, 3, 3)


def day(value: dt.date) -> types_pb2.Date:
    return types_pb2.Date(year=value.year, month=value.month, day=value.day)


def search(scheduling, kind="IV_KETAMINE_INFUSION", start=WEDNESDAY, end=WEDNESDAY,
           **fields):
    stub = pb_grpc.AvailabilityServiceStub(auth.authorized(
        grpc.insecure_channel(scheduling.address)))
    return stub.SearchAvailability(pb.SearchAvailabilityRequest(
        appointment_type=kind, start_date=day(start), end_date=day(end), **fields))


def local(slot) -> str:
    return slot.local_start_time[11:16]


def test_the_earliest_slots_come_first_with_their_chair_and_rn(scheduling):
    scheduling.create_location(roster=False)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=10, end=17)
    found = search(scheduling, page_size=3)
    assert [local(s) for s in found.slots] == ["10:00", "10:15", "10:30"]
    first = found.slots[0]
    assert first.local_start_time == "2027-03-03T10:00:00-08:00"
    assert first.start_time.ToDatetime(dt.UTC) == dt.datetime(2027, 3, 3, 18, tzinfo=dt.UTC)
    assert first.time_zone == "America/Los_Angeles"
    assert list(first.resource_ids) == ["chair-1"]
    assert [(s.staff_member_id, s.role) for s in first.staff] == [("rn-ana", "RN")]
    assert found.next_page_token


def test_pages_continue_where_the_last_ended_and_booked_times_are_gone(scheduling):
    scheduling.create_location(resources=[location_pb2.Resource(
        resource_id="chair-1", display_name="c", kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)])
    scheduling.register("p0")
    scheduling.clear("p0")
    scheduling.book("p0", dt.datetime(2027, 3, 3, 8, 0, tzinfo=PACIFIC))
    first = search(scheduling, page_size=2)
    second = search(scheduling, page_size=2, page_token=first.next_page_token)
    assert [local(s) for s in [*first.slots, *second.slots]] == \
        ["09:30", "09:45", "10:00", "10:15"]


def test_several_locations_interleave_by_time(scheduling):
    scheduling.create_location()
    scheduling.create_location("encinitas", display_name="Encinitas", weekly_hours=[
        location_pb2.OpeningHours(weekday=3, open_time=location_pb2.TimeOfDay(hours=7),
                                  close_time=location_pb2.TimeOfDay(hours=12))])
    found = search(scheduling, kind="FOLLOW_UP", page_size=6)
    assert [(s.location_id, local(s)) for s in found.slots][:6] == [
        ("encinitas", "07:00"), ("encinitas", "07:15"), ("encinitas", "07:30"),
        ("encinitas", "07:45"), ("encinitas", "08:00"), ("la-jolla", "08:00")]
    only = search(scheduling, kind="FOLLOW_UP", page_size=1, location_ids=["la-jolla"])
    assert only.slots[0].location_id == "la-jolla"


def test_a_patient_not_cleared_is_refused_and_a_bad_range_is_invalid(scheduling):
    scheduling.create_location()
    scheduling.register("p0")
    with pytest.raises(grpc.RpcError) as refused:
        search(scheduling, patient_id="p0")
    assert reason(refused.value) == "PATIENT_NOT_CLEARED"
    with pytest.raises(grpc.RpcError) as refused:
        search(scheduling, start=WEDNESDAY, end=WEDNESDAY - dt.timedelta(days=1))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as refused:
        search(scheduling, location_ids=["nowhere"])
    assert reason(refused.value) == "LOCATION_NOT_FOUND"


def test_a_preferred_staff_member_limits_the_slots_to_their_shift(scheduling):
    scheduling.create_location(roster=False)
    add_staff(scheduling, "rn-early", staff_pb2.STAFF_ROLE_RN, start=8, end=12)
    add_staff(scheduling, "rn-late", staff_pb2.STAFF_ROLE_RN, start=13, end=19)
    found = search(scheduling, staff_member_id="rn-late", page_size=1)
    assert local(found.slots[0]) == "13:00"
    assert found.slots[0].staff[0].staff_member_id == "rn-late"


def test_what_a_search_loads_once_answers_as_the_per_slot_queries_would(scheduling):
    # Bookings of chairs, rooms and a provider by several patients, a cancelled one, a hold
    # and a booking at another location: for every start and length of the day, the
    # in-memory view answers as the booking checks' queries do.
    from clinic.scheduling.v1 import appointment_pb2
    from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
    from clinic_scheduling.service_layer.appointments import staff_load
    from clinic_scheduling.service_layer.availability import Taken, staff_of

    from tests.scheduling.integration.conftest import stamp

    scheduling.create_location()
    scheduling.create_location("encinitas", display_name="Encinitas")
    for n in range(5):
        scheduling.register(f"p{n}")
        scheduling.clear(f"p{n}")
    at = dt.datetime.combine(WEDNESDAY, dt.time(9), PACIFIC)
    scheduling.book("p0", at)
    scheduling.book("p1", at + dt.timedelta(minutes=30))
    scheduling.book("p2", at + dt.timedelta(hours=2), kind="FOLLOW_UP")
    gone = scheduling.book("p3", at + dt.timedelta(hours=4))
    scheduling.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=gone.name, reason="sick",
        initiated_by=appointment_pb2.CANCELLATION_INITIATOR_PATIENT))
    scheduling.book("p0", at + dt.timedelta(hours=5), kind="FOLLOW_UP", location_id="encinitas")
    pb_grpc.AvailabilityServiceStub(auth.authorized(grpc.insecure_channel(
        scheduling.address))).CreateHold(pb.CreateHoldRequest(
            parent="locations/la-jolla", patient_id="p4", appointment_type="IV_KETAMINE_INFUSION",
            start_time=stamp(at + dt.timedelta(hours=6))))
    now = scheduling.clock()

    def compare(uow):
        la_jolla = uow.locations.get("la-jolla")
        places = [la_jolla, uow.locations.get("encinitas")]
        checked = 0
        for code in ("IV_KETAMINE_INFUSION", "FOLLOW_UP"):
            kind = uow.appointment_types.get(code)
            staff = staff_of(uow, places, kind, "")
            ids = [m.staff_member_id for pools in staff.values() for pool in pools.values()
                   for m in pool]
            for patient in ("p0", "p4"):
                taken = Taken.load(uow, places, staff, patient, WEDNESDAY, WEDNESDAY, now)
                start = at.replace(hour=7)
                while start.hour < 20:
                    for minutes in (30, 90, 135):
                        end = start + dt.timedelta(minutes=minutes)
                        assert taken.busy_resources("la-jolla", start, end) == (
                            uow.appointments.busy_resources("la-jolla", start, end)
                            | uow.holds.held_resources("la-jolla", start, end, now)), start
                        assert taken.patient_is_booked(start, end) == \
                            uow.appointments.patient_is_booked(patient, start, end), start
                        assert taken.staff_load(start, end) == \
                            staff_load(uow, ids, start, end, now), start
                        checked += 1
                    start += dt.timedelta(minutes=15)
        return checked

    assert scheduling.runtime.runner.read(compare) > 400


def test_a_search_skips_closures_uncertified_locations_staff_time_off_and_the_patients_visits(
        scheduling):
    # What a front desk asks first: "when can she come in?" across every location. A
    # closure day, a location without the REMS certification (for Spravato), an RN's time
    # off and the patient's own visit at another location are not offered.
    thursday = WEDNESDAY + dt.timedelta(days=1)
    scheduling.create_location(roster=False, closures=[location_pb2.Closure(
        date=day(thursday), reason="staff training")])
    scheduling.create_location("temecula", display_name="Temecula", certifications=[])
    at = dt.datetime.combine(WEDNESDAY, dt.time(8), PACIFIC)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=19,
              time_off=[(at, at + dt.timedelta(hours=3))])
    scheduling.register("p0")
    scheduling.clear("p0")
    scheduling.clear("p0", modality=intake.MODALITY_SPRAVATO)

    spravato = search(scheduling, kind="SPRAVATO_SESSION", page_size=50,
                      end=thursday, patient_id="p0")
    assert {s.location_id for s in spravato.slots} == {"la-jolla"}
    assert all(s.local_start_time.startswith("2027-03-03") for s in spravato.slots), \
        "nothing on the closure day"
    # La Jolla's only RN is away until 11:00; an observer is an RN.
    assert local(spravato.slots[0]) == "11:00"

    # The patient's infusion at Temecula 13:00-14:30: no La Jolla slot overlapping it.
    scheduling.book("p0", at.replace(hour=13), location_id="temecula")
    infusions = search(scheduling, page_size=100, location_ids=["la-jolla"], patient_id="p0")
    starts = [s.start_time.ToDatetime(dt.UTC) for s in infusions.slots]
    ends = [s.end_time.ToDatetime(dt.UTC) for s in infusions.slots]
    assert starts and local(infusions.slots[0]) == "11:00"
    busy = (at.replace(hour=13), at.replace(hour=14, minute=30))
    assert not [s for s, e in zip(starts, ends, strict=True) if s < busy[1] and e > busy[0]]
    assert any(e <= busy[0] for e in ends) and any(s >= busy[1] for s in starts)
