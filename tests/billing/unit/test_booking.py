"""Upcoming bookings: how scheduling's events, in any order, move a booking, and how a
patient's bookings stand against their prior authorizations, each counting the earlier."""

import datetime as dt

from clinic_billing.domain.authorization import AuthorizationProblem, PriorAuthorization
from clinic_billing.domain.booking import Booking, BookingState, check_bookings

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
START, END = dt.date(2026, 3, 1), dt.date(2026, 5, 31)


def auth(*, units=2, used=0, codes=("90868",), payer="60054", end=END):
    a = PriorAuthorization.create(patient_id="p1", payer_id=payer, authorization_number="PA-1",
                                  procedure_codes=list(codes), units_authorized=units,
                                  start_date=START, end_date=end, note="", actor="biller-1",
                                  now=NOW)
    a.units_used = used
    return a


def booking(appointment_id, day, *, lines=(("90868", 1),), payer="60054",
            state=BookingState.BOOKED):
    start = dt.datetime.combine(day, dt.time(15), dt.UTC)
    return Booking(appointment_id=appointment_id, patient_id="p1", start_time=start,
                   service_date=day, appointment_type="TMS_SESSION", payer_id=payer,
                   lines=[list(line) for line in lines], state=state, created_at=NOW,
                   updated_at=NOW)


def never_required(_payer, _code):
    return False


def test_bookings_count_the_units_used_and_the_earlier_bookings_in_date_order():
    a = auth(units=3, used=1)
    later, first, second = (booking("b3", dt.date(2026, 3, 12)),
                            booking("b1", dt.date(2026, 3, 10)),
                            booking("b2", dt.date(2026, 3, 11)))
    checked = check_bookings([a], [later, first, second], never_required)
    assert [checked.checks[b].problem for b in ("b1", "b2", "b3")] == \
        [None, None, AuthorizationProblem.EXHAUSTED]
    assert checked.checks["b3"].prior_authorization_id == a.prior_authorization_id
    assert checked.scheduled == {a.prior_authorization_id: 3}
    assert a.units_used == 1  # the check burns copies, never the authorization


def test_a_booking_outside_the_dates_or_without_a_required_authorization_is_flagged():
    a = auth()
    outside = booking("late", END + dt.timedelta(days=1))
    missing = booking("eval", dt.date(2026, 3, 10), lines=(("90792", 1),))
    checked = check_bookings([a], [outside, missing], lambda _p, code: code == "90792")
    assert checked.checks["late"].problem == AuthorizationProblem.OUT_OF_RANGE
    assert (checked.checks["eval"].problem, checked.checks["eval"].procedure_code) == \
        (AuthorizationProblem.MISSING, "90792")
    assert checked.scheduled == {}


def test_ended_self_pay_and_other_payer_bookings_use_nothing():
    a = auth(units=1)
    checked = check_bookings([a], [
        booking("gone", dt.date(2026, 3, 9), state=BookingState.CANCELLED),
        booking("cash", dt.date(2026, 3, 9), payer=""),
        booking("other", dt.date(2026, 3, 9), payer="87726"),
        booking("mine", dt.date(2026, 3, 10))], never_required)
    assert "gone" not in checked.checks
    assert checked.checks["cash"].problem is None and checked.checks["other"].problem is None
    assert checked.checks["mine"].problem is None
    assert checked.scheduled == {a.prior_authorization_id: 1}


def test_an_end_outranks_a_booking_or_move_arriving_later():
    b = booking("b1", dt.date(2026, 3, 10))
    assert b.end(BookingState.CANCELLED, NOW)
    assert not b.moved(start_time=NOW, service_date=dt.date(2026, 4, 1), revision=2, now=NOW)
    b.booked(location_id="carlsbad", appointment_type="TMS_SESSION", series_id="s1", now=NOW)
    assert (b.state, b.service_date) == (BookingState.CANCELLED, dt.date(2026, 3, 10))
    assert not b.end(BookingState.NO_SHOW, NOW)


def test_a_completed_visit_ends_a_booking_whatever_it_was_and_clears_its_flag():
    b = booking("b1", dt.date(2026, 3, 10), state=BookingState.NO_SHOW)
    b.authorization_problem = "EXHAUSTED"
    assert b.end(BookingState.COMPLETED, NOW)
    assert (b.state, b.authorization_problem, b.counts) == (BookingState.COMPLETED, "", False)


def test_only_a_newer_move_applies():
    b = booking("b1", dt.date(2026, 3, 10))
    later = dt.datetime(2026, 3, 20, 15, tzinfo=dt.UTC)
    assert b.moved(start_time=later, service_date=later.date(), revision=3, now=NOW)
    assert not b.moved(start_time=NOW, service_date=NOW.date(), revision=2, now=NOW)
    assert (b.service_date, b.revision) == (later.date(), 3)
