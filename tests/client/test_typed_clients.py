"""The client package's typed wrappers of scheduling and billing, against a stand-in
server: what each method sends, what it returns, and that the caller's rules (token,
request_id, refusals) hold through them."""

import datetime as dt
from zoneinfo import ZoneInfo

import grpc
import pytest
from clinic_client import Clinic, Refusal, Settings
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.client.test_jobs import _refusal, stand_in  # noqa: F401 - the stand-in server

S = "clinic.scheduling.v1"
B = "clinic.billing.v1"


def connect(address) -> Clinic:
    settings = Settings(token=auth.token(Role.FRONT_DESK, Role.BILLING), deadline=5)
    settings.addresses = {name: address for name in settings.addresses}
    return Clinic(settings)


def test_scheduling_search_book_list_and_visit_steps_send_what_was_asked(stand_in):  # noqa: F811
    pages = {"": {"slots": [{"location_id": "la-jolla"}], "next_page_token": "2"},
             "2": {"slots": [{"location_id": "temecula"}]}}
    fake = stand_in({
        f"{S}.AvailabilityService/SearchAvailability": lambda r: pages[r.page_token],
        f"{S}.AppointmentService/CreateAppointment": lambda r: {"appointment": {
            "name": "locations/la-jolla/appointments/a1", "patient_id": r.appointment.patient_id}},
        f"{S}.AppointmentService/ListAppointments": lambda r: {"appointments": [
            {"name": "locations/la-jolla/appointments/a1"}]},
        f"{S}.VisitService/CheckInAppointment": lambda r: {"appointment": {"name": r.name}},
    })
    with connect(fake.address) as clinic:
        slots = list(clinic.scheduling.search_availability(
            "FREE_CONSULTATION", dt.date(2026, 12, 1), "2026-12-07",
            locations=["la-jolla", "temecula"], patient_id="p1"))
        start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
        booked = clinic.scheduling.book_appointment(
            "p1", location_id="la-jolla", appointment_type="FREE_CONSULTATION", start=start)
        day = list(clinic.scheduling.appointments("la-jolla", "2026-12-01"))
        checked_in = clinic.scheduling.visit_step("CheckInAppointment", "a1",
                                                  escort_confirmed=True)
        with pytest.raises(ValueError, match="time zone"):
            clinic.scheduling.book_appointment("p1", location_id="la-jolla",
                                               appointment_type="X",
                                               start=dt.datetime(2026, 12, 1, 9))
        with pytest.raises(ValueError, match="CheckInAppointment"):
            clinic.scheduling.visit_step("Teleport", "a1")
    assert [s.location_id for s in slots] == ["la-jolla", "temecula"]
    [first, second] = fake.of("SearchAvailability")
    assert list(first.location_ids) == ["la-jolla", "temecula"] and first.patient_id == "p1"
    assert (first.start_date.day, first.end_date.day) == (1, 7) and second.page_token == "2"
    [create] = fake.of("CreateAppointment")
    assert create.parent == "locations/la-jolla" and create.request_id
    assert create.appointment.start_time.ToDatetime(dt.UTC) == start.astimezone(dt.UTC)
    assert booked.patient_id == "p1"
    [listing] = fake.of("ListAppointments")
    assert (listing.parent, listing.start_date.day, listing.end_date.day) == \
        ("locations/la-jolla", 1, 1)
    assert [a.name for a in day] == ["locations/la-jolla/appointments/a1"]
    [check_in] = fake.of("CheckInAppointment")
    assert check_in.name == "locations/-/appointments/a1" and check_in.escort_confirmed
    assert checked_in.name == check_in.name


def test_billing_accounts_charges_and_reports_and_a_refusal_through_them(stand_in):  # noqa: F811
    fake = stand_in({
        f"{B}.AccountService/GetAccount": lambda r: {"account": {"name": r.name}},
        f"{B}.ChargeService/ListCharges": lambda r: {"charges": [{"name": f"{r.parent}/charges/c1"}]},
        f"{B}.ReportService/GetArAging": lambda r: {"unapplied_patient_credit_cents": 250},
        f"{B}.RemittanceService/ImportRemittance": lambda r: _refusal(
            grpc.StatusCode.INVALID_ARGUMENT.value[0], "REMITTANCE_MALFORMED"),
    })
    with connect(fake.address) as clinic:
        account = clinic.billing.get_account("p1")
        charges = list(clinic.billing.charges("p1", start="2026-11-01"))
        aging = clinic.billing.ar_aging(dt.date(2026, 11, 30))
        with pytest.raises(Refusal) as refused:
            clinic.billing.import_remittance(b"ISA*...")
    assert account.name == "accounts/p1"
    assert [c.name for c in charges] == ["accounts/p1/charges/c1"]
    [listing] = fake.of("ListCharges")
    assert listing.start_date.month == 11 and not listing.HasField("end_date")
    assert aging.unapplied_patient_credit_cents == 250
    assert fake.of("GetArAging")[0].as_of.day == 30
    assert refused.value.reason == "REMITTANCE_MALFORMED"
    assert refused.value.correlation_id == "c-9"
    assert len(fake.of("ImportRemittance")) == 1  # a plain refusal is not retried
