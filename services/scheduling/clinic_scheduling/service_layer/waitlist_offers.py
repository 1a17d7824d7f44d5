"""Offering freed slots to the waitlist, and passing an offer on when it is declined,
withdrawn or lapses. These run inside the transaction that frees the slot (a cancellation,
a reschedule, a released or expired hold, a closed offer), so the slot is held for the
next patient before anyone else can book it.

Guards against offering one slot twice or booking it twice: an entry moves WAITING ->
OFFERED and an offer OFFERED -> closed only by conditional updates; the offers table lets
an entry hold one open offer, a freed slot one open offer, and an entry be offered a given
freed slot once (unique indexes); the held resources keep other bookings off the slot.
A transaction that loses one of these races runs again and sees the winner's outcome.
"""

from __future__ import annotations

import datetime as dt
import logging

from clinic_common import audit
from clinic_common.errors import ClinicError
from sqlalchemy.orm.exc import StaleDataError

from clinic_scheduling.domain.appointment import Appointment, Status, new_id
from clinic_scheduling.domain.hold import EXPIRED, HELD, RELEASED, SlotHold
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.waitlist import (
    ACCEPTED,
    CURRENT_APPOINTMENT_CLOSED,
    ENTRY_EXPIRED,
    FULFILLED,
    LAPSED,
    OFFERED,
    OPEN,
    WAITING,
    WINDOW_PASSED,
    WITHDRAWN,
    FreedSlot,
    WaitlistEntry,
    WaitlistOffer,
    earlier_than_current,
    first_fit,
)
from clinic_scheduling.service_layer import announcements
from clinic_scheduling.service_layer.hold_lifecycle import end_hold
from clinic_scheduling.service_layer.hold_placement import place_hold
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

log = logging.getLogger(__name__)


def freed_by_cancel(appointment: Appointment) -> FreedSlot:
    return FreedSlot(appointment.location_id, appointment.appointment_type,
                     appointment.start_time, appointment.end_time,
                     f"cancel:{appointment.appointment_id}")


def freed_by_move(appointment: Appointment) -> FreedSlot:
    """The slot an appointment leaves when it is moved (before the move)."""
    return FreedSlot(appointment.location_id, appointment.appointment_type,
                     appointment.start_time, appointment.end_time,
                     f"move:{appointment.appointment_id}:{appointment.revision}")


def freed_by_hold(hold: SlotHold) -> FreedSlot:
    return FreedSlot(hold.location_id, hold.appointment_type, hold.start_time, hold.end_time,
                     f"hold:{hold.hold_id}")


def offer_freed(uow: SchedulingUnitOfWork, slot: FreedSlot, now: dt.datetime,
                policy: SchedulingPolicy) -> WaitlistOffer | None:
    """Offers a freed slot to the first waiting entry it fits and for whom the booking
    rules pass then; holds it for them and announces WaitlistOfferMade. None when nobody
    on the waitlist can take it."""
    if slot.start <= now:
        return None
    offered = uow.waitlist.offered_slot_to(slot.key)
    for entry in first_fit(uow.waitlist.waiting_for(slot.appointment_type), slot, offered):
        current = _current(uow, entry)
        if current is False or not earlier_than_current(
                slot.start, current.start_time if current else None):
            continue
        if uow.holds.patient_holds(entry.patient_id, slot.start, slot.end, now):
            # Another offer (of another entry of theirs) or a hold keeps them then already.
            continue
        try:
            hold = place_hold(uow, slot.location_id, entry.patient_id, entry.appointment_type,
                              slot.start, now, policy, _offer_time(slot, now, policy),
                              moving=current.appointment_id if current else None)
        except ClinicError as refusal:
            log.info("waitlist entry passed over", extra={
                "entry_id": entry.entry_id, "reason": getattr(refusal, "reason", "")})
            continue
        return _offer(uow, entry, slot, hold, now)
    return None


def _offer_time(slot: FreedSlot, now: dt.datetime, policy: SchedulingPolicy) -> dt.timedelta:
    """How long the offer holds its slot: the policy's time, but never past the slot's start
    (an offer accepted after it would only be refused START_IN_PAST, and the slot would be
    held from nobody while it could still be booked)."""
    return min(policy.waitlist_offer_duration, slot.start - now)


def _current(uow: SchedulingUnitOfWork, entry: WaitlistEntry) -> Appointment | None | bool:
    """The appointment the entry wants moved earlier (None: none; False: it is no longer
    booked, so the entry takes no offer)."""
    if not entry.current_appointment_id:
        return None
    appointment = uow.appointments.get(entry.current_location_id, entry.current_appointment_id)
    return appointment if appointment and appointment.status == Status.BOOKED else False


def _offer(uow: SchedulingUnitOfWork, entry: WaitlistEntry, slot: FreedSlot, hold: SlotHold,
           now: dt.datetime) -> WaitlistOffer:
    offer = WaitlistOffer(new_id(), entry.entry_id, slot.key, hold.hold_id, hold.location_id,
                          hold.start_time, hold.end_time, hold.expires_at, OPEN, now, now)
    uow.waitlist.add_offer(offer)
    if not uow.waitlist.move(entry.entry_id, (WAITING,), OFFERED, now):
        # The entry was cancelled or offered another slot meanwhile: run again.
        raise StaleDataError(f"waitlist entry {entry.entry_id} changed meanwhile")
    audit.concerns(entry.patient_id)
    zone = uow.locations.get(hold.location_id).time_zone
    uow.emit(announcements.waitlist_offer_made(offer, entry, hold.resource_ids, zone),
             key=entry.patient_id)
    return offer


def pass_on(uow: SchedulingUnitOfWork, offer: WaitlistOffer, closed_as: str,
            now: dt.datetime, policy: SchedulingPolicy, entry_becomes: str = WAITING) -> None:
    """Closes an open offer (declined, withdrawn or lapsed), frees its hold, puts the entry
    back in line (or closes it) and offers the slot to the next matching entry."""
    # The entry is locked before the offer, as AcceptWaitlistOffer locks them, so a sweep
    # and an accept of one offer wait for each other instead of deadlocking (PostgreSQL).
    entry = uow.waitlist.get(offer.entry_id, lock=True)
    if not uow.waitlist.close_offer(offer.offer_id, closed_as, now):
        raise StaleDataError(f"waitlist offer {offer.offer_id} was closed meanwhile")
    hold = uow.holds.get(offer.location_id, offer.hold_id)
    if hold is not None and hold.status == HELD:
        end_hold(uow, hold, EXPIRED if closed_as == LAPSED else RELEASED, now)
    uow.waitlist.move(entry.entry_id, (OFFERED,), entry_becomes, now)
    if closed_as == LAPSED:
        uow.emit(announcements.waitlist_offer_expired(offer, entry), key=entry.patient_id)
    offer_freed(uow, FreedSlot(offer.location_id, entry.appointment_type, offer.start_time,
                               offer.end_time, offer.slot_key), now, policy)


def locked_offer_of_hold(uow: SchedulingUnitOfWork, hold_id: str) -> WaitlistOffer | None:
    """The open offer a hold keeps, with its entry row locked (None: none)."""
    offer = uow.waitlist.open_offer_of_hold(hold_id)
    if offer is not None:
        uow.waitlist.get(offer.entry_id, lock=True)
    return offer


def accept_with_booking(uow: SchedulingUnitOfWork, offer: WaitlistOffer,
                        appointment: Appointment, now: dt.datetime) -> None:
    """A booking made directly on an open offer's hold (CreateAppointment with hold_id, not
    AcceptWaitlistOffer) accepts the offer: it is closed ACCEPTED and its entry FULFILLED
    with the appointment, so the sweep never lapses it nor offers the slot on. The entry
    is locked already (locked_offer_of_hold)."""
    if not uow.waitlist.close_offer(offer.offer_id, ACCEPTED, now) or not uow.waitlist.move(
            offer.entry_id, (OFFERED,), FULFILLED, now,
            (appointment.location_id, appointment.appointment_id)):
        raise StaleDataError(f"waitlist offer {offer.offer_id} was closed meanwhile")


def withdraw_overtaken(uow: SchedulingUnitOfWork, offer_id: str, now: dt.datetime,
                       policy: SchedulingPolicy) -> bool:
    """Withdraws an open offer whose patient was booked at an overlapping time another way
    (the offer could only be refused PATIENT_ALREADY_BOOKED): the entry waits again and the
    slot goes to the next patient. False when it is not one (any more)."""
    offer = uow.waitlist.offer(offer_id)
    if offer is None or offer.status != OPEN:
        return False
    entry = uow.waitlist.get(offer.entry_id)
    if not uow.appointments.patient_is_booked(entry.patient_id, offer.start_time,
                                              offer.end_time,
                                              excluding=entry.current_appointment_id or None):
        return False
    pass_on(uow, offer, WITHDRAWN, now, policy)
    return True


def expire_offer(uow: SchedulingUnitOfWork, offer_id: str, now: dt.datetime,
                 policy: SchedulingPolicy) -> bool:
    """Lapses an open offer whose time ran out; False when it is not one (any more)."""
    offer = uow.waitlist.offer(offer_id)
    if offer is None or not offer.lapsed(now):
        return False
    pass_on(uow, offer, LAPSED, now, policy)
    return True


def expire_entry(uow: SchedulingUnitOfWork, entry_id: str, now: dt.datetime) -> bool:
    """Closes a waiting entry that can take no slot any more (EXPIRED): its latest
    acceptable start has come, or the appointment it was to move earlier is no longer
    booked. Announced as WaitlistEntryExpired; False when it is not one (any more)."""
    entry = uow.waitlist.get(entry_id, lock=True)
    if entry is None or entry.status != WAITING:
        return False
    if entry.outlived(now):
        cause = WINDOW_PASSED
    elif _current(uow, entry) is False:
        cause = CURRENT_APPOINTMENT_CLOSED
    else:
        return False
    if not uow.waitlist.move(entry_id, (WAITING,), ENTRY_EXPIRED, now):
        return False
    audit.concerns(entry.patient_id)
    uow.emit(announcements.waitlist_entry_expired(entry, now, cause), key=entry.patient_id)
    return True


def expire_hold(uow: SchedulingUnitOfWork, location_id: str, hold_id: str, now: dt.datetime,
                policy: SchedulingPolicy) -> bool:
    """Marks a lapsed hold EXPIRED and offers its slot to the waitlist; a waitlist offer's
    hold lapses with its offer instead."""
    hold = uow.holds.get(location_id, hold_id)
    if hold is None or not hold.lapsed(now):
        return False
    offer = uow.waitlist.open_offer_of_hold(hold_id)
    if offer is not None:
        return expire_offer(uow, offer.offer_id, now, policy)
    if not end_hold(uow, hold, EXPIRED, now):
        return False
    offer_freed(uow, freed_by_hold(hold), now, policy)
    return True
