"""How waitlist entries and offers end besides accept, decline and cancel: an offer booked
directly on its hold counts as accepted; an entry whose window has passed is closed by the
sweep; a patient merge offers the slots it frees and moves the merged record's entries.
On SQLite and PostgreSQL, with the test's clock."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import appointment_pb2, events_pb2, location_pb2, staff_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import waitlist_service_pb2 as pb
from clinic.scheduling.v1 import waitlist_service_pb2_grpc as pb_grpc
from clinic_devtools.testing import auth
from clinic_scheduling.service_layer import waitlist

from tests.scheduling.integration.conftest import stamp
from tests.scheduling.integration.test_staff_assignment import add_staff
from tests.scheduling.integration.test_waitlist import (
    AT,
    AT_UTC,
    FULFILLED,
    IV,
    OFFERED,
    ONE_CHAIR,
    WAITING,
    api,
    cancel,
    events,
    get,
    join,
    ready,
    refusal,
    running,
    sweep,
)

EXPIRED = pb.WAITLIST_ENTRY_STATE_EXPIRED


def book_on_hold(scheduling, patient, hold_name, start=AT):
    return scheduling.appointment_api.CreateAppointment(appt_pb.CreateAppointmentRequest(
        parent="locations/la-jolla", hold_id=hold_name.rsplit("/", 1)[-1],
        appointment=appointment_pb2.Appointment(patient_id=patient, appointment_type=IV,
                                                start_time=stamp(start)))).appointment


def test_an_offer_booked_directly_on_its_hold_counts_as_accepted(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    first, second = join(scheduling, "p2"), join(scheduling, "p3")
    cancel(scheduling, booked)
    offered = get(scheduling, first)
    assert offered.state == OFFERED
    appointment = book_on_hold(scheduling, "p2", offered.offer.hold)
    done = get(scheduling, first)
    assert done.state == FULFILLED and done.appointment == appointment.name
    assert not done.HasField("offer")
    scheduling.clock.advance(minutes=31)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0), "nothing is left to lapse"
    assert get(scheduling, first).state == FULFILLED
    assert get(scheduling, second).state == WAITING, "a booked slot is not offered on"
    assert not events(scheduling, "WaitlistOfferExpired", events_pb2.WaitlistOfferExpired)
    causes = [e.cause for e, _ in events(scheduling, "HoldReleased", events_pb2.HoldReleased)]
    assert causes == [events_pb2.HOLD_RELEASE_CAUSE_CONSUMED]
    assert refusal(lambda: api(scheduling).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=first.name))) == "ENTRY_CLOSED"


def test_a_refused_direct_booking_on_an_offers_hold_leaves_the_offer_open(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    first = join(scheduling, "p2")
    cancel(scheduling, booked)
    hold = get(scheduling, first).offer.hold
    with pytest.raises(grpc.RpcError) as refused:
        book_on_hold(scheduling, "p3", hold)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert get(scheduling, first).state == OFFERED
    accepted = api(scheduling).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=first.name)).waitlist_entry
    assert accepted.state == FULFILLED
    [mine] = scheduling.appointments(patient_id="p2")
    assert mine.start_time.ToDatetime(dt.UTC) == AT_UTC


def test_an_entry_whose_window_has_passed_is_expired_by_the_sweep_once(scheduling):
    ready(scheduling)
    soon = join(scheduling, "p1", earliest=scheduling.clock(),
                latest=scheduling.clock() + dt.timedelta(hours=2))
    later = join(scheduling, "p2")
    scheduling.clock.advance(minutes=119)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0)
    scheduling.clock.advance(minutes=1)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 1)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0), "an entry expires once"
    closed = get(scheduling, soon)
    assert closed.state == EXPIRED and get(scheduling, later).state == WAITING
    [(event, key)] = events(scheduling, "WaitlistEntryExpired",
                            events_pb2.WaitlistEntryExpired)
    assert (event.entry_id, event.patient_id, key, list(event.location_ids)) == (
        soon.entry_id, "p1", "p1", ["la-jolla"])
    assert event.expire_time.ToDatetime(dt.UTC) == scheduling.clock()
    assert event.latest_start_time == soon.latest_start_time
    assert event.cause == events_pb2.WAITLIST_ENTRY_EXPIRY_CAUSE_WINDOW_PASSED
    assert refusal(lambda: api(scheduling).CancelWaitlistEntry(
        pb.CancelWaitlistEntryRequest(name=soon.name))) == "ENTRY_CLOSED"
    listed = api(scheduling).ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
        parent="patients/-")).waitlist_entries
    assert [e.entry_id for e in listed] == [later.entry_id], "closed entries are not listed"
    every = api(scheduling).ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
        parent="patients/-", show_closed=True)).waitlist_entries
    assert [e.state for e in every] == [EXPIRED, WAITING]


def test_an_offered_entry_past_its_window_waits_out_its_offer_then_expires(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    entry = join(scheduling, "p2", earliest=AT - dt.timedelta(hours=1), latest=AT)
    cancel(scheduling, booked)
    assert get(scheduling, entry).state == OFFERED
    scheduling.clock.advance(seconds=(AT_UTC - scheduling.clock()).total_seconds() - 600)
    assert sweep(scheduling) == waitlist.SweepReport(1, 0, 0), "the offer lapses first"
    scheduling.clock.advance(minutes=10)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 1)
    assert get(scheduling, entry).state == EXPIRED


TWO_CHAIRS = [location_pb2.Resource(resource_id=r, display_name=r,
                                    kind=location_pb2.RESOURCE_KIND_INFUSION_CHAIR)
              for r in ("chair-1", "chair-2")]


@pytest.fixture
def short_offers(database_url, clock):
    """The service with offers held for 10 minutes, no background sweeper."""
    service, host, channel = running(database_url, clock, 0, waitlist_offer_minutes=10)
    yield service
    channel.close()
    host.stop()
    service.runtime.close()


def merge(scheduling, survivor, merged):
    assert scheduling.feed(intake.PatientMerged(surviving_patient_id=survivor,
                                                merged_patient_id=merged)) == "handled"


def test_a_slot_a_merge_releases_is_offered_under_the_configured_policy(short_offers):
    scheduling = short_offers
    scheduling.create_location(resources=TWO_CHAIRS)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    for patient in ("keep", "dupe", "p3"):
        scheduling.register(patient)
        scheduling.clear(patient)
    scheduling.book("keep", AT)
    doubled = scheduling.book("dupe", AT)
    scheduling.book("p3", AT + dt.timedelta(days=1))  # p3 is free at AT
    waiting = join(scheduling, "p3", earliest=AT - dt.timedelta(hours=1),
                   latest=AT + dt.timedelta(hours=1))
    merge(scheduling, "keep", "dupe")
    [released] = [a for a in scheduling.appointments(patient_id="keep")
                  if a.appointment_id == doubled.appointment_id]
    assert released.status == appointment_pb2.APPOINTMENT_STATUS_CANCELLED
    offered = get(scheduling, waiting)
    assert offered.state == OFFERED
    assert offered.offer.start_time.ToDatetime(dt.UTC) == AT_UTC
    assert list(offered.offer.resource_ids) == list(doubled.resource_ids)
    [(made, key)] = events(scheduling, "WaitlistOfferMade", events_pb2.WaitlistOfferMade)
    assert (made.patient_id, key) == ("p3", "p3")
    assert made.expire_time.ToDatetime(dt.UTC) == scheduling.clock() + dt.timedelta(minutes=10)


def test_a_merged_records_entries_and_open_offer_move_to_the_survivor(scheduling):
    ready(scheduling, patients=("keep", "dupe", "p1"))
    booked = scheduling.book("p1", AT)
    entry = join(scheduling, "dupe")
    cancel(scheduling, booked)
    assert get(scheduling, entry).state == OFFERED
    merge(scheduling, "keep", "dupe")
    assert refusal(lambda: api(scheduling).GetWaitlistEntry(pb.GetWaitlistEntryRequest(
        name=entry.name))) == "WAITLIST_ENTRY_NOT_FOUND"
    moved_name = f"patients/keep/waitlistEntries/{entry.entry_id}"
    moved = api(scheduling).GetWaitlistEntry(pb.GetWaitlistEntryRequest(
        name=moved_name)).waitlist_entry
    assert (moved.patient_id, moved.state) == ("keep", OFFERED)
    done = api(scheduling).AcceptWaitlistOffer(pb.AcceptWaitlistOfferRequest(
        name=moved_name)).waitlist_entry
    assert done.state == FULFILLED
    [visit] = scheduling.appointments(patient_id="keep")
    assert visit.name == done.appointment and visit.start_time.ToDatetime(dt.UTC) == AT_UTC


def test_an_offer_of_a_slot_starting_soon_lapses_at_its_start(scheduling):
    ready(scheduling)
    monday = dt.datetime(2027, 3, 1, 18, 0, tzinfo=dt.UTC)  # 10:00 in San Diego
    booked = scheduling.book("p1", monday)
    entry = join(scheduling, "p2", earliest=monday - dt.timedelta(hours=1), latest=monday)
    scheduling.clock.advance(seconds=(monday - scheduling.clock()).total_seconds() - 600)
    cancel(scheduling, booked)
    offered = get(scheduling, entry)
    assert offered.state == OFFERED
    assert offered.offer.expire_time.ToDatetime(dt.UTC) == monday
    [(made, _)] = events(scheduling, "WaitlistOfferMade", events_pb2.WaitlistOfferMade)
    assert made.expire_time.ToDatetime(dt.UTC) == monday
    scheduling.clock.advance(minutes=10)
    assert refusal(lambda: api(scheduling).AcceptWaitlistOffer(
        pb.AcceptWaitlistOfferRequest(name=entry.name))) == "OFFER_EXPIRED"
    assert sweep(scheduling) == waitlist.SweepReport(1, 0, 1)


def test_a_caller_bound_to_locations_sees_and_changes_only_entries_taking_them(scheduling):
    ready(scheduling)
    scheduling.create_location("encinitas", resources=ONE_CHAIR)
    theirs = join(scheduling, "p1", locations=("encinitas",))
    anywhere = join(scheduling, "p2", locations=())
    here = join(scheduling, "p3", locations=("la-jolla", "encinitas"))
    front_desk = pb_grpc.WaitlistServiceStub(auth.authorized(
        grpc.insecure_channel(scheduling.address), "FRONT_DESK", locations=("la-jolla",)))
    listed = front_desk.ListWaitlistEntries(pb.ListWaitlistEntriesRequest(
        parent="patients/-")).waitlist_entries
    assert [e.entry_id for e in listed] == [anywhere.entry_id, here.entry_id]
    for call in (lambda: front_desk.GetWaitlistEntry(pb.GetWaitlistEntryRequest(
                     name=theirs.name)),
                 lambda: front_desk.CancelWaitlistEntry(pb.CancelWaitlistEntryRequest(
                     name=theirs.name)),
                 lambda: front_desk.DeclineWaitlistOffer(pb.DeclineWaitlistOfferRequest(
                     name=theirs.name))):
        assert refusal(call) == "WAITLIST_ENTRY_NOT_FOUND"
    assert get(scheduling, theirs).state == WAITING, "a refusal changes nothing"
    assert front_desk.GetWaitlistEntry(pb.GetWaitlistEntryRequest(
        name=here.name)).waitlist_entry.entry_id == here.entry_id
    joined = front_desk.CreateWaitlistEntry(pb.CreateWaitlistEntryRequest(
        parent="patients/p4", waitlist_entry=pb.WaitlistEntry(
            appointment_type=IV, earliest_start_time=stamp(AT - dt.timedelta(days=1)),
            latest_start_time=stamp(AT + dt.timedelta(days=1))))).waitlist_entry
    assert list(joined.location_ids) == ["la-jolla"], "any location means any of theirs"


def test_an_entry_whose_visit_to_move_is_no_longer_booked_is_expired(scheduling):
    ready(scheduling)
    later = scheduling.book("p2", AT + dt.timedelta(days=1))
    kept = scheduling.book("p3", AT + dt.timedelta(days=2))
    gone = join(scheduling, "p2", current=later.name, latest=AT + dt.timedelta(days=3))
    stays = join(scheduling, "p3", current=kept.name, latest=AT + dt.timedelta(days=3))
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0)
    cancel(scheduling, later)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 1)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0)
    # p3's entry stays open: the slot p2 freed, earlier than p3's visit, is offered to p3.
    assert (get(scheduling, gone).state, get(scheduling, stays).state) == (EXPIRED, OFFERED)
    [(event, _)] = events(scheduling, "WaitlistEntryExpired", events_pb2.WaitlistEntryExpired)
    assert (event.entry_id, event.cause) == (
        gone.entry_id, events_pb2.WAITLIST_ENTRY_EXPIRY_CAUSE_CURRENT_APPOINTMENT_CLOSED)


def test_a_patient_is_not_offered_two_slots_at_once(scheduling):
    scheduling.create_location(resources=TWO_CHAIRS)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    for patient in ("p1", "p2", "p3", "p4"):
        scheduling.register(patient)
        scheduling.clear(patient)
    first, second = scheduling.book("p1", AT), scheduling.book("p3", AT)
    mine = join(scheduling, "p2")
    also_mine = join(scheduling, "p2", locations=())
    theirs = join(scheduling, "p4")
    cancel(scheduling, first)
    cancel(scheduling, second)
    states = [get(scheduling, e).state for e in (mine, also_mine, theirs)]
    assert states == [OFFERED, WAITING, OFFERED]
    made = [e.patient_id for e, _ in events(scheduling, "WaitlistOfferMade",
                                             events_pb2.WaitlistOfferMade)]
    assert made == ["p2", "p4"]


def test_an_offer_whose_patient_was_booked_then_another_way_is_passed_on(scheduling):
    ready(scheduling)
    booked = scheduling.book("p1", AT)
    first, second = join(scheduling, "p2"), join(scheduling, "p3")
    cancel(scheduling, booked)
    assert get(scheduling, first).state == OFFERED
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0, 0)
    scheduling.book("p2", AT + dt.timedelta(minutes=30), kind="FOLLOW_UP")
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0, 1)
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0, 0)
    assert get(scheduling, first).state == WAITING
    passed = get(scheduling, second)
    assert passed.state == OFFERED and passed.offer.start_time.ToDatetime(dt.UTC) == AT_UTC
    assert not events(scheduling, "WaitlistOfferExpired", events_pb2.WaitlistOfferExpired)
    causes = [e.cause for e, _ in events(scheduling, "HoldReleased", events_pb2.HoldReleased)]
    assert causes == [events_pb2.HOLD_RELEASE_CAUSE_RELEASED]


def test_a_visit_being_moved_does_not_withdraw_its_own_offer(scheduling):
    scheduling.create_location(resources=TWO_CHAIRS)
    add_staff(scheduling, "rn-ana", staff_pb2.STAFF_ROLE_RN, start=8, end=17)
    for patient in ("p1", "p2"):
        scheduling.register(patient)
        scheduling.clear(patient)
    booked = scheduling.book("p1", AT, resource_ids=["chair-1"])
    # p2's visit overlaps the slot p1 frees, and starts after it: an earlier slot to move to.
    overlapping = scheduling.book("p2", AT + dt.timedelta(minutes=60),
                                  resource_ids=["chair-2"])
    entry = join(scheduling, "p2", current=overlapping.name)
    cancel(scheduling, booked)
    assert get(scheduling, entry).state == OFFERED
    assert sweep(scheduling) == waitlist.SweepReport(0, 0, 0, 0)
    done = api(scheduling).AcceptWaitlistOffer(pb.AcceptWaitlistOfferRequest(
        name=entry.name)).waitlist_entry
    assert done.state == FULFILLED and done.appointment == overlapping.name
