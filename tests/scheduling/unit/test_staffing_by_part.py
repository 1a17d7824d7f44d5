"""Staff are needed only during the parts of a visit that name their role; the resources
for the whole visit: an RN is free for another chair once the infusion part ends."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from clinic_scheduling.domain.appointment import Appointment
from clinic_scheduling.domain.appointment_type import AppointmentType, PartValue
from clinic_scheduling.domain.staff import ShiftSpec, StaffDetails, StaffMember
from clinic_scheduling.domain.staffing import NoStaffAvailable, pick_staff
from clinic_scheduling.domain.timeline import Timeline

PACIFIC = ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)
MIN = dt.timedelta(minutes=1)


def infusion() -> AppointmentType:
    return AppointmentType.create("IV", "IV infusion", "IV_KETAMINE", "", (
        PartValue("INFUSION", 45, resource_kinds=("INFUSION_CHAIR",), staff_roles=("RN",)),
        PartValue("RECOVERY", 45, resource_kinds=("INFUSION_CHAIR",))))


def rn(staff_member_id="rn-a"):
    return StaffMember.create(staff_member_id, StaffDetails(
        display_name=staff_member_id, role="RN", location_ids=("la-jolla",),
        shifts=tuple(ShiftSpec("la-jolla", d, dt.time(8), dt.time(17)) for d in range(1, 6))),
        NOW)


def book(kind, start, staff, chair="chair-1") -> Appointment:
    end = start + kind.length()
    return Appointment.book(location_id="la-jolla", patient_id="p", appointment_type=kind.code,
                            start=start, end=end, service_date=start.date(),
                            resource_ids=[chair], now=NOW, staff=staff,
                            staff_windows=kind.staff_windows(start, end))


def load_from(appointments):
    """The load over a window, counted from the bookings' staff rows (as the repository
    and the availability timeline count them)."""
    line = Timeline((a.start_time, a.end_time, (a.staff_member_id, a.exclusive))
                    for b in appointments for a in b.staff)

    def load(start, end):
        counted: dict[str, tuple[int, int]] = {}
        for member, exclusive in line.overlapping(start, end):
            held, shared = counted.get(member, (0, 0))
            counted[member] = (held + 1, shared) if exclusive else (held, shared + 1)
        return counted
    return load


def pick(kind, start, load):
    end = start + kind.length()
    return pick_staff(kind.staff_needs, {"RN": [rn()]}, load, location_id="la-jolla",
                      zone=PACIFIC, start=start, end=end, max_shared=1,
                      windows=kind.staff_windows(start, end))


def test_the_rn_row_covers_the_infusion_and_the_chair_the_whole_visit():
    kind = infusion()
    first = book(kind, START, [("rn-a", "RN", False)])
    (assignment,) = first.staff
    assert (assignment.start_time, assignment.end_time) == (START, START + 45 * MIN)
    (chair,) = first.resources
    assert (chair.start_time, chair.end_time) == (START, START + 90 * MIN)


def test_an_rn_freed_after_the_infusion_starts_another_while_the_chair_is_in_recovery():
    kind = infusion()
    first = book(kind, START, [("rn-a", "RN", False)])
    # With one chair per RN: the same RN takes the next patient at the end of the
    # infusion, while the first patient still recovers in chair-1.
    assert pick(kind, START + 45 * MIN, load_from([first])) == [("rn-a", "RN", False)]
    with pytest.raises(NoStaffAvailable):
        pick(kind, START + 44 * MIN, load_from([first]))
    (chair,) = first.resources
    assert chair.end_time > START + 45 * MIN  # so chair-1 is not free for the second


def test_a_type_without_stored_parts_needs_its_staff_for_the_whole_visit():
    kind = AppointmentType("OLD", "old", 90, observation_minutes=45)
    assert kind.staff_windows(START, START + 90 * MIN) == {}


def test_the_plan_length_part_takes_what_the_visit_leaves():
    kind = AppointmentType.create("PAIN", "Pain", "IV_KETAMINE", "", (
        PartValue("CONSULT", 10, staff_roles=("PROVIDER",)),
        PartValue("INFUSION", 40, True, 40, 240, ("INFUSION_CHAIR",), ("RN",)),
        PartValue("OBSERVATION", 45, resource_kinds=("INFUSION_CHAIR",),
                  staff_roles=("OBSERVER",))))
    end = START + kind.length(120)
    assert end - START == 175 * MIN
    assert kind.staff_windows(START, end) == {
        "PROVIDER": (START, START + 10 * MIN),
        "RN": (START + 10 * MIN, START + 130 * MIN),
        "OBSERVER": (START + 130 * MIN, end)}


def test_a_role_in_two_parts_is_needed_from_the_first_to_the_end_of_the_last():
    kind = AppointmentType.create("SPR", "Spravato", "SPRAVATO", "", (
        PartValue("DOSE", 15, staff_roles=("OBSERVER",)),
        PartValue("OBSERVATION", 120, staff_roles=("OBSERVER",))))
    assert kind.staff_windows(START, START + 135 * MIN) == {
        "OBSERVER": (START, START + 135 * MIN)}
