"""The waitlist over a real socket, on SQLite and PostgreSQL: a freed slot is offered to the
first waiting patient it fits and held for them; the offer lapses (by the sweep, with the
test's clock) to the next patient; accepting books exactly once."""

import datetime as dt
import time

import grpc
import pytest
from clinic.scheduling.v1 import appointment_pb2, events_pb2, location_pb2, staff_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import waitlist_service_pb2 as pb
from clinic.scheduling.v1 import waitlist_service_pb2_grpc as pb_grpc
from clinic_devtools.testing import auth
from clinic_scheduling.service_layer import waitlist

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import Scheduling, stamp, start_service
from tests.scheduling.integration.test_staff_assignment import add_staff

AT = dt.datetime(2027, 3, 3, 10, 0, tzinfo=PACIFIC)
AT_UTC = AT.astimezone(dt.UTC)
IV = "IV_KETAMINE_INFUSION"
ONE_CHAIR = [location_pb2.Resource(resource_id="chair-1", display_name="c",
                                   kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)]
OFFERED, WAITING = pb.WAITLIST_ENTRY_STATE_OFFERED, pb.WAITLIST_ENTRY_STATE_WAITING
FULFILLED = pb.WAITLIST_ENTRY_STATE_FULFILLED


def running(database_url, clock, sweep_seconds, **settings):
    host, runtime = start_service(database_url, clock, sweep_seconds=sweep_seconds, **settings)
    address = f"127.0.0.1:{host.port}"
    channel = auth.authorized(grpc.insecure_channel(address))
    return Scheduling(channel, runtime, clock, address), host, channel


@pytest.fixture
def scheduling(database_url, clock):
    """The service without its background sweeper: the tests sweep by hand, by their clock."""
    service, host, channel = running(database_url, clock, 0)
    yield service
    channel.close()
    host.stop()
    service.runtime.close()


@pytest.fixture
def sweeping(database_url, clock):
    """The service with its sweeper running every 50 ms."""
    service, host, channel = running(database_url, clock, 0.05)
    yield service
    channel.close()
    host.stop()
    service.runtime.close()


def api(scheduling):
    return pb_grpc.WaitlistServiceStub(auth.authorized(grpc.insecure_channel(scheduling.address)))


def ready(scheduling, patients=("p1", "p2", "p3", "p4")):
    scheduling.create_location(resources=ONE_CHAIR)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    for patient in patients:
        scheduling.register(patient)
        scheduling.clear(patient)


def join(scheduling, patient, earliest=AT - dt.timedelta(days=1),
         latest=AT + dt.timedelta(days=1), locations=("la-jolla",), current="",
         request_id=""):
    return api(scheduling).CreateWaitlistEntry(pb.CreateWaitlistEntryRequest(
        parent=f"patients/{patient}", request_id=request_id, waitlist_entry=pb.WaitlistEntry(
            appointment_type=IV, location_ids=list(locations), current_appointment=current,
            earliest_start_time=stamp(earliest), latest_start_time=stamp(latest)))
    ).waitlist_entry


def get(scheduling, entry):
    return api(scheduling).GetWaitlistEntry(pb.GetWaitlistEntryRequest(name=entry.name)
                                            ).waitlist_entry


def cancel(scheduling, appointment):
    scheduling.appointment_api.CancelAppointment(appt_pb.CancelAppointmentRequest(
        name=appointment.name, reason="patient_request",
        initiated_by=appointment_pb2.CANCELLATION_INITIATOR_PATIENT))


def sweep(scheduling):
    return waitlist.sweep(scheduling.runtime.runner, scheduling.runtime.settings.policy())


def events(scheduling, name, message):
    return [(message.FromString(e.payload), e.partition_key) for e in scheduling.events()
            if e.event_type == f"clinic.scheduling.v1.{name}"]


def refusal(call) -> str:
    with pytest.raises(grpc.RpcError) as refused:
        call()
    return reason(refused.value)


def test_a_cancelled_slot_goes_to_the_first_entry_it_fits(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    too_late = join(scheduling, "p3", earliest=AT + dt.timedelta(hours=3))  # first in line
    elsewhere = join(scheduling, "p4", locations=())  # any location: fits
    mine = join(scheduling, "p2")
    cancel(scheduling, booked)
    assert get(scheduling, too_late).state == WAITING, "a slot outside its window skips it"
    offered = get(scheduling, elsewhere)
    assert offered.state == OFFERED and get(scheduling, mine).state == WAITING
    assert offered.offer.start_time.ToDatetime(dt.UTC) == AT_UTC
    assert offered.offer.local_start_time == "2027-03-03T10:00:00-08:00"
    assert list(offered.offer.resource_ids) == ["chair-1"]
    [(event, key)] = events(scheduling, "WaitlistOfferMade", events_pb2.WaitlistOfferMade)
    assert key == "p4"
    assert (event.entry_id, event.patient_id, event.location_id, event.appointment_type) == (
        elsewhere.entry_id, "p4", "la-jolla", IV)
    assert event.start_time.ToDatetime(dt.UTC) == AT_UTC
    assert event.end_time.ToDatetime(dt.UTC) == AT_UTC + dt.timedelta(minutes=90)
    assert (event.local_start_time, event.local_end_time, event.time_zone) == (
        "2027-03-03T10:00:00-08:00", "2027-03-03T11:30:00-08:00", "America/Los_Angeles")
    assert list(event.resource_ids) == ["chair-1"]
    assert event.expire_time.ToDatetime(dt.UTC) == scheduling.clock() + dt.timedelta(minutes=30)
    assert event.hold_id and offered.offer.hold.endswith("/" + event.hold_id)


def test_nobody_else_can_book_an_offered_slot_while_the_offer_stands(scheduling):
    ready(scheduling)
    entry = join(scheduling, "p2")
    cancel(scheduling, scheduling.book("p1", AT))
    assert get(scheduling, entry).state == OFFERED
    for patient in ("p1", "p3"):
        with pytest.raises(grpc.RpcError) as refused:
            scheduling.book(patient, AT)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert not [a for a in scheduling.appointments() if a.status == appointment_pb2.APPOINTMENT_STATUS_BOOKED]


def test_accepting_books_the_held_slot_exactly_once(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    entry = join(scheduling, "p2")
    with pytest.raises(grpc.RpcError) as refused:
        scheduling.book("p3", AT + dt.timedelta(minutes=30))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # p1 holds the chair
    cancel(scheduling, booked)
    with pytest.raises(grpc.RpcError):
        scheduling.book("p3", AT)
    accept = pb.AcceptWaitlistOfferRequest(name=entry.name, request_id="accept-1")
    first = api(scheduling).AcceptWaitlistOffer(accept).waitlist_entry
    again = api(scheduling).AcceptWaitlistOffer(accept).waitlist_entry
    assert first.state == FULFILLED and first.appointment
    assert again.appointment == first.appointment
    mine = [a for a in scheduling.appointments(patient_id="p2")]
    assert [(a.name, a.start_time.ToDatetime(dt.UTC)) for a in mine] == [
        (first.appointment, AT_UTC)]
    assert len(events(scheduling, "AppointmentBooked", events_pb2.AppointmentBooked)) == 2
    [(consumed, _)] = [(e, k) for e, k in events(scheduling, "HoldReleased",
                                                 events_pb2.HoldReleased)]
    assert consumed.cause == events_pb2.HOLD_RELEASE_CAUSE_CONSUMED
    assert refusal(lambda: api(scheduling).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=entry.name))) == "ENTRY_CLOSED"


def test_a_lapsed_offer_is_announced_and_goes_to_the_next_patient(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    first, second = join(scheduling, "p2"), join(scheduling, "p3")
    cancel(scheduling, booked)
    scheduling.clock.advance(minutes=29)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0)
    scheduling.clock.advance(minutes=1)
    assert sweep(scheduling) == waitlist.SweepReport(1, 0)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0), "a lapse is swept once"
    assert get(scheduling, first).state == WAITING
    assert get(scheduling, second).state == OFFERED
    [(expired, key)] = events(scheduling, "WaitlistOfferExpired",
                              events_pb2.WaitlistOfferExpired)
    assert (expired.entry_id, expired.patient_id, key) == (first.entry_id, "p2", "p2")
    assert expired.start_time.ToDatetime(dt.UTC) == AT_UTC
    released = [e for e, _ in events(scheduling, "HoldReleased", events_pb2.HoldReleased)]
    assert [(e.hold_id, e.cause) for e in released] == [
        (expired.hold_id, events_pb2.HOLD_RELEASE_CAUSE_EXPIRED)]
    made = [e.patient_id for e, _ in events(scheduling, "WaitlistOfferMade",
                                             events_pb2.WaitlistOfferMade)]
    assert made == ["p2", "p3"]
    assert refusal(lambda: api(scheduling).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=first.name))) == "OFFER_EXPIRED"
    scheduling.clock.advance(minutes=30)
    sweep(scheduling)
    assert get(scheduling, second).state == WAITING, "nobody is left: the slot is free"
    scheduling.book("p4", AT)


def test_an_offer_that_ran_out_cannot_be_accepted_before_the_sweep(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    entry = join(scheduling, "p2")
    cancel(scheduling, booked)
    scheduling.clock.advance(minutes=31)
    assert refusal(lambda: api(scheduling).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=entry.name))) == "OFFER_EXPIRED"
    assert get(scheduling, entry).state == OFFERED, "a refusal changes nothing"
    assert not scheduling.appointments(patient_id="p2")


def test_declining_passes_the_slot_on_and_keeps_the_patient_waiting(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    first, second = join(scheduling, "p2"), join(scheduling, "p3")
    assert refusal(lambda: api(scheduling).DeclineWaitlistOffer(
        pb.DeclineWaitlistOfferRequest(name=first.name))) == "NO_OFFER"
    cancel(scheduling, booked)
    declined = api(scheduling).DeclineWaitlistOffer(
        pb.DeclineWaitlistOfferRequest(name=first.name)).waitlist_entry
    assert declined.state == WAITING and not declined.HasField("offer")
    assert get(scheduling, second).state == OFFERED
    assert not events(scheduling, "WaitlistOfferExpired", events_pb2.WaitlistOfferExpired)


def test_cancelling_an_entry_withdraws_its_offer_for_the_next(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    first, second = join(scheduling, "p2"), join(scheduling, "p3")
    cancel(scheduling, booked)
    closed = api(scheduling).CancelWaitlistEntry(
        pb.CancelWaitlistEntryRequest(name=first.name)).waitlist_entry
    assert closed.state == pb.WAITLIST_ENTRY_STATE_CANCELLED
    assert get(scheduling, second).state == OFFERED
    assert refusal(lambda: api(scheduling).CancelWaitlistEntry(
        pb.CancelWaitlistEntryRequest(name=first.name))) == "ENTRY_CLOSED"


def test_a_patient_with_a_later_visit_has_it_moved_not_doubled(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    later = scheduling.book("p2", AT + dt.timedelta(days=1))
    entry = join(scheduling, "p2", current=later.name, locations=())
    behind = join(scheduling, "p3", latest=AT + dt.timedelta(days=2))
    assert list(entry.location_ids) == ["la-jolla"]
    cancel(scheduling, booked)
    assert get(scheduling, entry).state == OFFERED
    done = api(scheduling).AcceptWaitlistOffer(pb.AcceptWaitlistOfferRequest(
        name=entry.name, request_id="r")).waitlist_entry
    assert done.appointment == later.name
    [moved] = scheduling.appointments(patient_id="p2")
    assert moved.name == later.name and moved.start_time.ToDatetime(dt.UTC) == AT_UTC
    assert moved.revision == 1
    offered = get(scheduling, behind)
    assert offered.state == OFFERED, "the slot left behind is offered on"
    assert offered.offer.start_time.ToDatetime(dt.UTC) == AT_UTC + dt.timedelta(days=1)


def test_a_later_slot_is_not_offered_to_move_a_visit(scheduling):
    ready(scheduling)
    soon = scheduling.book("p2", AT - dt.timedelta(hours=2))
    entry = join(scheduling, "p2", current=soon.name)
    cancel(scheduling, scheduling.book("p1", AT))
    assert get(scheduling, entry).state == WAITING


def test_a_lapsed_plain_hold_is_swept_and_its_slot_offered(scheduling):
    from clinic.scheduling.v1 import availability_service_pb2 as av
    from clinic.scheduling.v1 import availability_service_pb2_grpc as av_grpc
    ready(scheduling)
    holds = av_grpc.AvailabilityServiceStub(auth.authorized(
        grpc.insecure_channel(scheduling.address)))
    holds.CreateHold(av.CreateHoldRequest(parent="locations/la-jolla", patient_id="p1",
                                          appointment_type=IV, start_time=stamp(AT)))
    entry = join(scheduling, "p2")
    scheduling.clock.advance(minutes=5)
    assert sweep(scheduling) == waitlist.SweepReport(0, 1)
    released = [e.cause for e, _ in events(scheduling, "HoldReleased", events_pb2.HoldReleased)]
    assert released == [events_pb2.HOLD_RELEASE_CAUSE_EXPIRED]
    assert get(scheduling, entry).state == OFFERED


def test_entries_list_first_come_first_and_filter(scheduling):
    ready(scheduling)
    scheduling.create_location("encinitas", resources=ONE_CHAIR)
    ids = [join(scheduling, p, locations=locs).entry_id for p, locs in
           [("p1", ("la-jolla",)), ("p2", ("encinitas",)), ("p3", ()), ("p4", ("la-jolla",))]]
    found, token = [], ""
    while True:
        page = api(scheduling).ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
            parent="patients/-", page_size=3, page_token=token))
        found += [e.entry_id for e in page.waitlist_entries]
        token = page.next_page_token
        if not token:
            break
    assert found == ids
    at_la_jolla = api(scheduling).ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
        parent="patients/-", location_id="la-jolla", appointment_type=IV)).waitlist_entries
    assert [e.entry_id for e in at_la_jolla] == [ids[0], ids[2], ids[3]]
    mine = api(scheduling).ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
        parent="patients/p2")).waitlist_entries
    assert [e.entry_id for e in mine] == [ids[1]]


def test_joining_is_checked_and_a_retry_joins_once(scheduling):
    ready(scheduling)
    first = join(scheduling, "p1", request_id="j-1")
    assert join(scheduling, "p1", request_id="j-1").entry_id == first.entry_id
    assert refusal(lambda: join(scheduling, "p1", locations=("nowhere",))) == \
        "LOCATION_NOT_FOUND"
    assert refusal(lambda: join(scheduling, "p1", latest=AT - dt.timedelta(days=2))) == \
        "INVALID_FIELD"
    other = scheduling.book("p2", AT)
    assert refusal(lambda: join(scheduling, "p1", current=other.name)) == \
        "CURRENT_APPOINTMENT_MISMATCH"
    assert refusal(lambda: get(scheduling, pb.WaitlistEntry(
        name="patients/p1/waitlistEntries/nope"))) == "WAITLIST_ENTRY_NOT_FOUND"
    assert refusal(lambda: get(scheduling, pb.WaitlistEntry(
        name=f"patients/p2/waitlistEntries/{first.entry_id}"))) == "WAITLIST_ENTRY_NOT_FOUND"
    listed = api(scheduling).ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
        parent="patients/-")).waitlist_entries
    assert [e.entry_id for e in listed] == [first.entry_id]


def test_the_service_lapses_offers_by_itself(sweeping):
    ready(sweeping)
    booked = sweeping.book("p1", AT)
    first, second = join(sweeping, "p2"), join(sweeping, "p3")
    cancel(sweeping, booked)
    assert get(sweeping, first).state == OFFERED
    sweeping.clock.advance(minutes=30)
    deadline = time.monotonic() + 10
    while get(sweeping, second).state != OFFERED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get(sweeping, second).state == OFFERED
    assert get(sweeping, first).state == WAITING
    assert len(events(sweeping, "WaitlistOfferExpired", events_pb2.WaitlistOfferExpired)) == 1
