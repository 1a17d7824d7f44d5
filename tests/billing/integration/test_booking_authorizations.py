"""Bookings checked against prior authorizations, on SQLite and PostgreSQL: scheduling's
appointment events (in any order, any number of times) keep billing's upcoming bookings;
each counts the units used and the earlier bookings; one beyond the authorization is
announced once and listed for the billing team; the expiring list counts scheduled units."""

import datetime as dt

import grpc
import pytest
from clinic.billing.v1 import charge_pb2, payer_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import events_pb2 as billing_events
from clinic.billing.v1 import payer_service_pb2 as payer_pb
from clinic.billing.v1 import prior_authorization_pb2 as pa
from clinic.billing.v1 import prior_authorization_service_pb2 as pa_pb
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import events_pb2 as scheduling
from clinic_common.identity import Role
from clinic_common.protoconv import timestamp
from clinic_devtools.testing import auth
from google.protobuf.field_mask_pb2 import FieldMask

from tests.billing.flow import AS_BILLING
from tests.billing.support import completed, date, events_of, reason

START, END = dt.date(2026, 3, 1), dt.date(2026, 5, 31)
MARCH = dt.date(2026, 3, 16)
EXHAUSTED = charge_pb2.AUTHORIZATION_PROBLEM_EXHAUSTED


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(17), dt.UTC)  # 9 or 10 a.m. at the clinic


def _booked(appointment, day, patient="p1", kind="TMS_SESSION"):
    return scheduling.AppointmentBooked(
        appointment_id=appointment, patient_id=patient, location_id="carlsbad",
        appointment_type=kind, start_time=timestamp(_at(day)),
        end_time=timestamp(_at(day) + dt.timedelta(minutes=40)))


def _moved(appointment, day, revision, patient="p1"):
    return scheduling.AppointmentRescheduled(
        appointment_id=appointment, patient_id=patient, location_id="carlsbad",
        appointment_type="TMS_SESSION", start_time=timestamp(_at(day)),
        end_time=timestamp(_at(day) + dt.timedelta(minutes=40)), revision=revision)


def _cancelled(appointment, day, patient="p1"):
    return scheduling.AppointmentCancelled(
        appointment_id=appointment, patient_id=patient, location_id="carlsbad",
        appointment_type="TMS_SESSION", reason="patient_request",
        start_time=timestamp(_at(day)))


def _tms_visit(appointment, day):
    event = completed(appointment, "p1", day, ("90868", 1))
    event.appointment_type = "TMS_SESSION"
    return event


def _authorize(billing, *, units=2, codes=("90868",), start=START, end=END):
    return billing.authorizations.CreatePriorAuthorization(pa_pb.CreatePriorAuthorizationRequest(
        parent="accounts/p1", prior_authorization=pa.PriorAuthorization(
            payer_id="60054", authorization_number="PA-1", procedure_codes=codes,
            units_authorized=units, start_date=date(start), end_date=date(end))),
        metadata=AS_BILLING).prior_authorization


def _get(billing, name):
    return billing.authorizations.GetPriorAuthorization(
        pa_pb.GetPriorAuthorizationRequest(name=name), metadata=AS_BILLING).prior_authorization


def _beyond(billing, parent="accounts/-", **kw):
    return list(billing.authorizations.ListBookingsBeyondAuthorization(
        pa_pb.ListBookingsBeyondAuthorizationRequest(parent=parent, **kw),
        metadata=AS_BILLING).bookings)


def _flagged(billing):
    return [(e.appointment_id, e.problem, e.procedure_code)
            for e in events_of(billing.runtime, billing_events.BookingBeyondAuthorization)]


@pytest.fixture
def tms(clinic):
    """p1 (with a first TMS session charged already) and 2 units of 90868 in March-May."""
    return clinic, _authorize(clinic)


def test_the_booking_past_the_units_is_flagged_announced_once_and_listed(tms):
    billing, created = tms
    for n in (1, 2, 3):
        assert billing.deliver(_booked(f"b{n}", MARCH + dt.timedelta(days=n)),
                               event_id=f"e{n}") == "handled"
    billing.deliver(_booked("b3", MARCH + dt.timedelta(days=3)), event_id="e3")  # redelivered
    billing.deliver(_booked("b3", MARCH + dt.timedelta(days=3)))  # published twice
    assert _flagged(billing) == [("b3", EXHAUSTED, "90868")]
    [listed] = _beyond(billing)
    assert (listed.name, listed.payer_id, listed.authorization_problem, listed.prior_authorization,
            [(line.procedure_code, line.units) for line in listed.lines]) == \
        ("accounts/p1/bookings/b3", "60054", EXHAUSTED, created.name, [("90868", 1)])
    assert "0 of 2" in listed.authorization_problem_detail
    assert (listed.service_date.month, listed.service_date.day) == (3, 19)
    now = _get(billing, created.name)
    assert (now.units_used, now.units_scheduled, now.units_left_after_scheduled) == (0, 3, -1)
    assert _beyond(billing, "accounts/p2") == []
    assert _beyond(billing, as_of=date(MARCH + dt.timedelta(days=4))) == []


def test_a_cancellation_frees_the_units_and_a_completed_visit_moves_them_to_used(tms):
    billing, created = tms
    for n in (1, 2, 3):
        billing.deliver(_booked(f"b{n}", MARCH + dt.timedelta(days=n)))
    billing.deliver(_cancelled("b1", MARCH + dt.timedelta(days=1)))
    assert _beyond(billing) == []
    assert _get(billing, created.name).units_scheduled == 2
    billing.deliver(_tms_visit("b2", MARCH + dt.timedelta(days=2)))
    now = _get(billing, created.name)
    assert (now.units_used, now.units_scheduled, now.units_left_after_scheduled) == (1, 1, 0)
    billing.deliver(scheduling.AppointmentNoShow(
        appointment_id="b3", patient_id="p1", appointment_type="TMS_SESSION",
        start_time=timestamp(_at(MARCH + dt.timedelta(days=3)))))
    assert _get(billing, created.name).units_scheduled == 0
    assert _flagged(billing) == [("b3", EXHAUSTED, "90868")]  # nothing new announced


def test_events_out_of_order_end_where_scheduling_ended(tms):
    billing, created = tms
    billing.deliver(_cancelled("b1", MARCH))  # its booking arrives after it
    billing.deliver(_booked("b1", MARCH))
    billing.deliver(_moved("b2", MARCH, revision=3))  # a move of an unknown appointment
    billing.deliver(_booked("b2", END + dt.timedelta(days=5)))  # the booking, older
    billing.deliver(_moved("b2", END + dt.timedelta(days=9), revision=2))  # an older move
    assert _get(billing, created.name).units_scheduled == 1
    assert _beyond(billing) == []
    billing.deliver(_moved("b2", END + dt.timedelta(days=1), revision=4))
    [late] = _beyond(billing)
    assert (late.appointment_id, late.authorization_problem) == \
        ("b2", charge_pb2.AUTHORIZATION_PROBLEM_OUT_OF_RANGE)
    billing.deliver(_moved("b2", MARCH, revision=5))
    assert _beyond(billing) == []
    assert _get(billing, created.name).units_scheduled == 1


def test_a_booking_the_payer_wants_authorized_is_flagged_until_an_authorization_is_recorded(
        clinic):
    clinic.payers.UpdatePayer(payer_pb.UpdatePayerRequest(
        payer=payer_pb2.Payer(name="payers/60054", prior_authorization_codes=["90868"]),
        update_mask=FieldMask(paths=["prior_authorization_codes"])), metadata=AS_BILLING)
    clinic.deliver(_booked("b1", MARCH))
    clinic.deliver(_booked("f1", MARCH, kind="FOLLOW_UP"))  # 99213: no authorization needed
    assert [(b.appointment_id, b.authorization_problem) for b in _beyond(clinic)] == \
        [("b1", charge_pb2.AUTHORIZATION_PROBLEM_MISSING)]
    created = _authorize(clinic, units=1)
    assert _beyond(clinic) == []
    assert _get(clinic, created.name).units_scheduled == 1
    clinic.authorizations.VoidPriorAuthorization(pa_pb.VoidPriorAuthorizationRequest(
        name=created.name, reason="entered in error"), metadata=AS_BILLING)
    assert [b.appointment_id for b in _beyond(clinic)] == ["b1"]
    assert _flagged(clinic) == [("b1", charge_pb2.AUTHORIZATION_PROBLEM_MISSING, "90868")] * 2


def test_a_self_pay_booking_is_not_checked(clinic):
    clinic.register("p9")
    clinic.deliver(_booked("b1", MARCH, patient="p9"))
    assert _beyond(clinic) == [] and _flagged(clinic) == []


def test_the_expiring_list_counts_the_scheduled_units(clinic):
    created = _authorize(clinic, units=5)
    expiring = pa_pb.ListExpiringPriorAuthorizationsRequest(
        parent="accounts/-", as_of=date(MARCH), units_remaining_at_most=1, ending_within_days=0)
    assert list(clinic.authorizations.ListExpiringPriorAuthorizations(
        expiring, metadata=AS_BILLING).prior_authorizations) == []
    for n in (1, 2, 3, 4):
        clinic.deliver(_booked(f"b{n}", MARCH + dt.timedelta(days=n)))
    [listed] = clinic.authorizations.ListExpiringPriorAuthorizations(
        expiring, metadata=AS_BILLING).prior_authorizations
    assert (listed.name, listed.units_remaining, listed.units_scheduled,
            listed.units_left_after_scheduled) == (created.name, 5, 4, 1)


def test_the_front_desk_does_not_read_the_list(tms):
    billing, _ = tms
    with pytest.raises(grpc.RpcError) as refused:
        billing.authorizations.ListBookingsBeyondAuthorization(
            pa_pb.ListBookingsBeyondAuthorizationRequest(parent="accounts/-"),
            metadata=auth.metadata(Role.FRONT_DESK, sub="desk-1"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("request_fields", [
    {"parent": "patients/p1"},
    {"parent": "accounts/-", "as_of": {"year": 2026, "month": 13, "day": 1}},
])
def test_a_malformed_list_request_is_refused(tms, request_fields):
    billing, _ = tms
    with pytest.raises(grpc.RpcError) as refused:
        billing.authorizations.ListBookingsBeyondAuthorization(
            pa_pb.ListBookingsBeyondAuthorizationRequest(**request_fields), metadata=AS_BILLING)
    assert (refused.value.code(), reason(refused.value)) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")


def test_a_charge_by_hand_and_its_void_move_the_bookings_check(tms):
    billing, created = tms
    billing.deliver(_booked("b1", MARCH + dt.timedelta(days=1)))
    billing.deliver(_booked("b2", MARCH + dt.timedelta(days=2)))
    posted = billing.charges.CreateCharge(charge_pb.CreateChargeRequest(
        parent="accounts/p1", charge=charge_pb2.Charge(procedure_code="90868", units=1,
                                                       service_date=date(MARCH))),
        metadata=AS_BILLING).charge
    assert [b.appointment_id for b in _beyond(billing)] == ["b2"]
    billing.charges.VoidCharge(charge_pb.VoidChargeRequest(name=posted.name, reason="wrong"),
                               metadata=AS_BILLING)
    assert _beyond(billing) == []


def test_a_merge_moves_the_bookings_to_the_survivor(tms):
    billing, created = tms
    billing.deliver(_booked("b1", MARCH, patient="p2"))
    billing.deliver(intake.PatientMerged(merged_patient_id="p2", surviving_patient_id="p1"))
    billing.deliver(_booked("b2", MARCH + dt.timedelta(days=1)))
    billing.deliver(_booked("b3", MARCH + dt.timedelta(days=2), patient="p2"))  # posted to p1
    assert [(b.name, b.authorization_problem) for b in _beyond(billing)] == \
        [("accounts/p1/bookings/b3", EXHAUSTED)]
    assert _get(billing, created.name).units_scheduled == 3


def _require(billing, *codes):
    billing.payers.UpdatePayer(payer_pb.UpdatePayerRequest(
        payer=payer_pb2.Payer(name="payers/60054", prior_authorization_codes=codes),
        update_mask=FieldMask(paths=["prior_authorization_codes"])), metadata=AS_BILLING)


def test_a_payer_wanting_authorization_for_a_code_flags_the_bookings_billed_to_it(clinic):
    clinic.deliver(_booked("b1", MARCH, patient="p2"))
    clinic.deliver(_booked("b2", MARCH, patient="p2", kind="FOLLOW_UP"))
    assert _beyond(clinic) == []
    _require(clinic, "90868")
    assert [(b.name, b.authorization_problem) for b in _beyond(clinic)] == \
        [("accounts/p2/bookings/b1", charge_pb2.AUTHORIZATION_PROBLEM_MISSING)]
    _require(clinic)
    assert _beyond(clinic) == []
    assert _flagged(clinic) == [("b1", charge_pb2.AUTHORIZATION_PROBLEM_MISSING, "90868")]
