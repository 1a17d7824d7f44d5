"""Picking the staff of a visit: shifts in local time, time off, the RN ratio."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from clinic_scheduling.domain.staff import ShiftSpec, StaffDetails, StaffMember, TimeOffSpec
from clinic_scheduling.domain.staffing import NoStaffAvailable, pick_staff

PACIFIC = ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
# Wednesday 3 March 2027, 09:00-10:30 in San Diego (17:00-18:30 UTC).
START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)
END = START + dt.timedelta(minutes=90)


def member(staff_member_id, role="RN", start=8, end=17, time_off=()):
    return StaffMember.create(staff_member_id, StaffDetails(
        display_name=staff_member_id, role=role, location_ids=("la-jolla",),
        shifts=tuple(ShiftSpec("la-jolla", d, dt.time(start), dt.time(end))
                     for d in range(1, 6)),
        time_off=tuple(TimeOffSpec(a, b) for a, b in time_off)), NOW)


def pick(needs, pool, load=None, max_shared=3, start=START, end=END):
    by_role = {}
    for m in pool:
        by_role.setdefault(m.role, []).append(m)
    return pick_staff(needs, by_role, load or {}, location_id="la-jolla", zone=PACIFIC,
                      start=start, end=end, max_shared=max_shared)


def test_the_least_loaded_rn_on_shift_is_picked():
    pool = [member("rn-a"), member("rn-b"), member("rn-c", start=12, end=19)]
    assert pick(["RN"], pool, {"rn-a": (0, 2), "rn-b": (0, 1)}) == [("rn-b", "RN", False)]


def test_an_rn_at_the_ratio_is_not_picked():
    with pytest.raises(NoStaffAvailable):
        pick(["RN"], [member("rn-a")], {"rn-a": (0, 3)})
    assert pick(["RN"], [member("rn-a")], {"rn-a": (0, 2)}) == [("rn-a", "RN", False)]


def test_a_provider_with_another_patient_is_not_picked():
    with pytest.raises(NoStaffAvailable) as refused:
        pick(["PROVIDER"], [member("dr-a", "PROVIDER")], {"dr-a": (1, 0)})
    assert refused.value.reason == "NO_STAFF_AVAILABLE"


def test_a_shift_is_local_time_so_a_visit_past_its_end_is_not_covered():
    late = START.replace(hour=16)  # 16:00-17:30 local; the shift ends at 17:00
    with pytest.raises(NoStaffAvailable):
        pick(["RN"], [member("rn-a")], start=late, end=late + dt.timedelta(minutes=90))


def test_time_off_overlapping_the_visit_excludes_the_staff_member():
    away = member("rn-a", time_off=[(END - dt.timedelta(minutes=1), END + dt.timedelta(days=1))])
    assert pick(["RN"], [away, member("rn-b")]) == [("rn-b", "RN", False)]


def test_an_observer_is_an_rn_and_a_mapping_takes_a_technician_and_a_provider():
    pool = [member("rn-a"), member("tech-a", "TMS_TECHNICIAN"), member("dr-a", "PROVIDER")]
    assert pick(["OBSERVER"], pool) == [("rn-a", "OBSERVER", False)]
    assert pick(["TMS_TECHNICIAN", "PROVIDER"], pool) == [
        ("tech-a", "TMS_TECHNICIAN", True), ("dr-a", "PROVIDER", True)]


def test_a_role_nobody_at_the_location_holds_refuses_the_visit():
    # No provider on record at the location: the visit is not booked without one.
    with pytest.raises(NoStaffAvailable) as refused:
        pick(["PROVIDER"], [member("rn-a")])
    assert refused.value.reason == "NO_STAFF_AVAILABLE"
    with pytest.raises(NoStaffAvailable):
        pick(["RN"], [])
    with pytest.raises(NoStaffAvailable):  # a need no role fills
        pick(["PHLEBOTOMIST"], [member("rn-a")])
