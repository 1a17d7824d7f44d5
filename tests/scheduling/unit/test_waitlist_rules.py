"""Who is offered a freed slot: first come first, only entries whose wishes fit it, each
entry a given freed slot once; and when an offer has lapsed."""

import datetime as dt

from clinic_scheduling.domain.waitlist import (
    CANCELLED,
    OFFERED,
    OPEN,
    WAITING,
    FreedSlot,
    WaitlistEntry,
    WaitlistOffer,
    earlier_than_current,
    first_fit,
)

T = dt.datetime(2027, 3, 3, 18, 0, tzinfo=dt.UTC)
SLOT = FreedSlot("la-jolla", "IV_KETAMINE_INFUSION", T, T + dt.timedelta(minutes=90), "cancel:a")


def entry(entry_id, position, *, kind="IV_KETAMINE_INFUSION", locations=("la-jolla",),
          earliest=T - dt.timedelta(days=1), latest=T + dt.timedelta(days=1), status=WAITING):
    return WaitlistEntry(entry_id, position, f"p-{entry_id}", kind, locations, earliest, latest,
                         "", "", status, "", "", T, T)


def ids(entries):
    return [e.entry_id for e in entries]


def test_entries_are_offered_in_the_order_they_joined():
    assert ids(first_fit([entry("c", 3), entry("a", 1), entry("b", 2)], SLOT, set())) == \
        ["a", "b", "c"]


def test_an_entry_of_another_type_location_or_window_is_skipped():
    entries = [entry("type", 1, kind="TMS_SESSION"), entry("place", 2, locations=("temecula",)),
               entry("early", 3, latest=T - dt.timedelta(minutes=15)),
               entry("late", 4, earliest=T + dt.timedelta(minutes=15)),
               entry("fits", 5)]
    assert ids(first_fit(entries, SLOT, set())) == ["fits"]


def test_an_entry_for_any_location_takes_a_slot_anywhere_and_the_window_is_inclusive():
    entries = [entry("any", 1, locations=()), entry("edge", 2, earliest=T, latest=T)]
    assert ids(first_fit(entries, SLOT, set())) == ["any", "edge"]


def test_an_entry_offered_or_closed_is_not_offered_the_slot():
    entries = [entry("declined", 1), entry("busy", 2, status=OFFERED),
               entry("gone", 3, status=CANCELLED), entry("next", 4)]
    assert ids(first_fit(entries, SLOT, {"declined"})) == ["next"], \
        "a declined or lapsed offer moves down the line"


def test_only_an_earlier_slot_moves_a_current_visit():
    assert earlier_than_current(T, None)
    assert earlier_than_current(T, T + dt.timedelta(days=1))
    assert not earlier_than_current(T, T)
    assert not earlier_than_current(T, T - dt.timedelta(hours=1))


def test_an_offer_lapses_at_its_expiry_and_only_while_open():
    offer = WaitlistOffer("o", "a", "cancel:a", "h", "la-jolla", T, T, T - dt.timedelta(hours=1),
                          OPEN, T, T)
    assert not offer.lapsed(T - dt.timedelta(hours=1, seconds=1))
    assert offer.lapsed(T - dt.timedelta(hours=1))
    offer.status = "ACCEPTED"
    assert not offer.lapsed(T)


def test_a_waiting_entry_is_outlived_once_its_latest_start_comes():
    waiting = entry("w", 1, latest=T)
    assert not waiting.outlived(T - dt.timedelta(seconds=1))
    assert waiting.outlived(T), "a slot can no longer start inside the window"
    assert not entry("o", 2, latest=T, status=OFFERED).outlived(T), \
        "an offered entry waits out its offer first"


def test_a_caller_sees_entries_taking_one_of_their_locations_or_any():
    assert entry("here", 1).visible_to(frozenset({"la-jolla", "temecula"}))
    assert entry("any", 2, locations=()).visible_to(frozenset({"temecula"}))
    assert not entry("there", 3).visible_to(frozenset({"temecula"}))
    assert not entry("there", 3).visible_to(frozenset())
    assert entry("there", 3).visible_to(None), "None: every location"
