"""WaitlistService's use cases: join, read, list, cancel, accept or decline an offer; and
the sweep that lapses expired offers and holds. Offering itself is in waitlist_offers."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.errors import ClinicError
from clinic_common.runner import NO_KEY, RequestKey, Runner
from sqlalchemy.orm.exc import StaleDataError

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment import Appointment, Status, new_id
from clinic_scheduling.domain.hold import CONSUMED
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.waitlist import (
    ACCEPTED,
    CANCELLED,
    DECLINED,
    FULFILLED,
    LAPSED,
    OFFERED,
    WAITING,
    WITHDRAWN,
    WaitlistEntry,
    WaitlistOffer,
)
from clinic_scheduling.service_layer import waitlist_offers
from clinic_scheduling.service_layer.appointment_types import type_of
from clinic_scheduling.service_layer.appointments import (
    BookAppointment,
    _book,
    appointment_of,
    known_patient,
    move_appointment,
)
from clinic_scheduling.service_layer.hold_lifecycle import end_hold
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryView:
    """An entry as the API shows it: with its open offer, the offer's resources and zone."""

    entry: WaitlistEntry
    offer: WaitlistOffer | None = None
    resource_ids: tuple[str, ...] = ()
    time_zone: str = ""


@dataclass(frozen=True)
class JoinWaitlist:
    patient_id: str
    appointment_type: str
    location_ids: tuple[str, ...]  # empty: any location
    earliest_start: dt.datetime
    latest_start: dt.datetime
    current: tuple[str, str] | None = None  # (location or "-", appointment) to move earlier
    key: RequestKey = NO_KEY
    scope: frozenset[str] | None = None  # the caller's locations (None: all)


def join(cmd: JoinWaitlist, runner: Runner[SchedulingUnitOfWork]) -> EntryView:
    """Puts a patient on the waitlist, at the end of the line."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        patient_id = known_patient(uow, cmd.patient_id)
        c.concerns(patient_id)
        kind = type_of(uow, cmd.appointment_type, "waitlist_entry.appointment_type")
        for location_id in cmd.location_ids:
            if uow.locations.get(location_id) is None or (
                    cmd.scope is not None and location_id not in cmd.scope):
                raise errors.LocationNotFound(location_id)
        if cmd.latest_start <= c.now:
            raise errors.field("waitlist_entry.latest_start_time", "is not in the future")
        location_ids, current = cmd.location_ids, None
        if not location_ids and cmd.scope is not None:
            # "Any location" from a caller bound to some means any of theirs, as a search's.
            location_ids = tuple(i for i in sorted(cmd.scope) if uow.locations.get(i))
            if not location_ids:
                raise errors.field("waitlist_entry.location_ids",
                                   "names none, and the caller may book at no location")
        if cmd.current is not None:
            current = _movable(uow, cmd, patient_id, kind.code)
            location_ids = (current.location_id,)
        entry = WaitlistEntry(
            new_id(), uow.waitlist.next_position(), patient_id, kind.code, location_ids,
            cmd.earliest_start, cmd.latest_start, current.location_id if current else "",
            current.appointment_id if current else "", WAITING, "", "", c.now, c.now)
        uow.waitlist.add(entry)
        return entry.entry_id

    return runner.change_and_read("CreateWaitlistEntry", cmd.key, action,
                                  lambda uow, i: view_of(uow, cmd.patient_id, i))[1]


def _movable(uow: SchedulingUnitOfWork, cmd: JoinWaitlist, patient_id: str,
             code: str) -> Appointment:
    """The current appointment an entry may move: the patient's, booked, of the type, and
    at the one location it may move within (a reschedule keeps the location)."""
    location_id, appointment_id = cmd.current
    appointment = appointment_of(uow, location_id, appointment_id, cmd.scope)
    if appointment.patient_id != patient_id:
        raise errors.CurrentAppointmentMismatch(appointment_id, "it is another patient's")
    if appointment.status != Status.BOOKED:
        raise errors.CurrentAppointmentMismatch(appointment_id, "it is not booked")
    if appointment.appointment_type != code:
        raise errors.CurrentAppointmentMismatch(appointment_id,
                                                f"it is a {appointment.appointment_type}")
    if cmd.location_ids and cmd.location_ids != (appointment.location_id,):
        raise errors.CurrentAppointmentMismatch(
            appointment_id, f"it moves only within its location {appointment.location_id!r}")
    return appointment


def entry_of(uow: SchedulingUnitOfWork, patient_id: str, entry_id: str, *,
             lock: bool = False, scope: frozenset[str] | None = None) -> WaitlistEntry:
    """The patient's entry ("-": anyone's), as if it did not exist when it takes none of
    the ``scope`` locations (None: all)."""
    entry = uow.waitlist.get(entry_id, lock=lock)
    if entry is None or (patient_id != "-" and entry.patient_id != patient_id) or \
            not entry.visible_to(scope):
        raise errors.WaitlistEntryNotFound(patient_id, entry_id)
    return entry


def view_of(uow: SchedulingUnitOfWork, patient_id: str, entry_id: str,
            scope: frozenset[str] | None = None) -> EntryView:
    return _view(uow, entry_of(uow, patient_id, entry_id, scope=scope))


def _view(uow: SchedulingUnitOfWork, entry: WaitlistEntry) -> EntryView:
    offer = uow.waitlist.open_offer(entry.entry_id) if entry.status == OFFERED else None
    if offer is None:
        return EntryView(entry)
    hold = uow.holds.get(offer.location_id, offer.hold_id)
    location = uow.locations.get(offer.location_id)
    return EntryView(entry, offer, hold.resource_ids if hold else (), location.time_zone)


def get_entry(patient_id: str, entry_id: str, runner: Runner[SchedulingUnitOfWork],
              concerns, scope: frozenset[str] | None = None) -> EntryView:
    def read(uow: SchedulingUnitOfWork) -> EntryView:
        view = view_of(uow, patient_id, entry_id, scope)
        concerns(view.entry.patient_id)
        return view

    return runner.read(read)


@dataclass(frozen=True)
class EntryQuery:
    patient_id: str | None = None  # None: every patient's
    appointment_type: str | None = None
    location_id: str | None = None
    show_closed: bool = False
    scope: frozenset[str] | None = None  # the caller's locations (None: all)


def list_entries(q: EntryQuery, runner: Runner[SchedulingUnitOfWork], *, limit: int,
                 after: list | None) -> tuple[list[EntryView], list | None]:
    def read(uow: SchedulingUnitOfWork):
        page: keyset.Page = uow.waitlist.list(
            limit=limit, after=after, patient_id=q.patient_id,
            appointment_type=q.appointment_type, location_id=q.location_id,
            show_closed=q.show_closed, scope=q.scope)
        return [_view(uow, e) for e in page.items], page.next_key

    return runner.read(read)


def _open_offer(uow: SchedulingUnitOfWork, entry: WaitlistEntry,
                now: dt.datetime) -> WaitlistOffer:
    """The entry's offer that may still be answered: ENTRY_CLOSED, NO_OFFER or
    OFFER_EXPIRED otherwise."""
    if entry.closed:
        raise errors.WaitlistEntryClosed(entry.entry_id, entry.status)
    offer = uow.waitlist.open_offer(entry.entry_id)
    if offer is None:
        latest = uow.waitlist.latest_offer(entry.entry_id)
        if latest is not None and latest.status == LAPSED:
            raise errors.NoOffer(f"the offer to entry {entry.entry_id!r} expired at "
                                 f"{latest.expires_at.isoformat()}", reason="OFFER_EXPIRED",
                                 entry_id=entry.entry_id)
        raise errors.NoOffer(f"entry {entry.entry_id!r} has no open offer",
                             entry_id=entry.entry_id)
    if offer.lapsed(now):
        raise errors.NoOffer(f"the offer to entry {entry.entry_id!r} expired at "
                             f"{offer.expires_at.isoformat()}", reason="OFFER_EXPIRED",
                             entry_id=entry.entry_id)
    return offer


@dataclass(frozen=True)
class EntryRef:
    patient_id: str
    entry_id: str
    key: RequestKey = NO_KEY
    scope: frozenset[str] | None = None


def accept_offer(ref: EntryRef, runner: Runner[SchedulingUnitOfWork],
                 policy: SchedulingPolicy) -> EntryView:
    """Books the offered slot on its hold (or moves the entry's current appointment there)
    and closes the entry FULFILLED, in one transaction."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        entry = entry_of(uow, ref.patient_id, ref.entry_id, lock=True, scope=ref.scope)
        c.concerns(entry.patient_id)
        offer = _open_offer(uow, entry, c.now)
        if ref.scope is not None and offer.location_id not in ref.scope:
            raise errors.LocationNotFound(offer.location_id)
        if not uow.waitlist.close_offer(offer.offer_id, ACCEPTED, c.now):
            raise StaleDataError(f"waitlist offer {offer.offer_id} was closed meanwhile")
        appointment = _take(uow, entry, offer, c.now, policy)
        uow.waitlist.move(entry.entry_id, (OFFERED,), FULFILLED, c.now,
                          (appointment.location_id, appointment.appointment_id))
        return entry.entry_id

    return runner.change_and_read("AcceptWaitlistOffer", ref.key, action,
                                  lambda uow, i: view_of(uow, ref.patient_id, i, ref.scope))[1]


def _take(uow: SchedulingUnitOfWork, entry: WaitlistEntry, offer: WaitlistOffer,
          now: dt.datetime, policy: SchedulingPolicy) -> Appointment:
    if not entry.current_appointment_id:
        return _book(BookAppointment(offer.location_id, entry.patient_id, entry.appointment_type,
                                     offer.start_time, hold_id=offer.hold_id), uow, now, policy)
    appointment = appointment_of(uow, entry.current_location_id, entry.current_appointment_id)
    hold = uow.holds.get(offer.location_id, offer.hold_id)
    if hold is None or not end_hold(uow, hold, CONSUMED, now, appointment.appointment_id):
        raise errors.HoldNotUsable(f"hold {offer.hold_id!r} was ended meanwhile",
                                   hold_id=offer.hold_id)
    move_appointment(uow, appointment, offer.start_time, None, hold.resource_ids, now, policy)
    return appointment


def decline_offer(ref: EntryRef, runner: Runner[SchedulingUnitOfWork],
                  policy: SchedulingPolicy) -> EntryView:
    """The patient keeps waiting; the slot goes to the next matching entry."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        entry = entry_of(uow, ref.patient_id, ref.entry_id, lock=True, scope=ref.scope)
        c.concerns(entry.patient_id)
        waitlist_offers.pass_on(uow, _open_offer(uow, entry, c.now), DECLINED, c.now, policy)
        return entry.entry_id

    return runner.change_and_read("DeclineWaitlistOffer", ref.key, action,
                                  lambda uow, i: view_of(uow, ref.patient_id, i, ref.scope))[1]


def cancel_entry(ref: EntryRef, runner: Runner[SchedulingUnitOfWork],
                 policy: SchedulingPolicy) -> EntryView:
    """Takes the entry off the waitlist; its open offer is withdrawn and passed on."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        entry = entry_of(uow, ref.patient_id, ref.entry_id, lock=True, scope=ref.scope)
        c.concerns(entry.patient_id)
        if entry.closed:
            raise errors.WaitlistEntryClosed(entry.entry_id, entry.status)
        offer = uow.waitlist.open_offer(entry.entry_id)
        if offer is not None:
            waitlist_offers.pass_on(uow, offer, WITHDRAWN, c.now, policy,
                                    entry_becomes=CANCELLED)
        elif not uow.waitlist.move(entry.entry_id, (WAITING, OFFERED), CANCELLED, c.now):
            raise StaleDataError(f"waitlist entry {entry.entry_id} changed meanwhile")
        return entry.entry_id

    return runner.change_and_read("CancelWaitlistEntry", ref.key, action,
                                  lambda uow, i: view_of(uow, ref.patient_id, i, ref.scope))[1]


@dataclass(frozen=True)
class SweepReport:
    expired_offers: int
    expired_holds: int
    expired_entries: int = 0
    withdrawn_offers: int = 0  # their patient was booked at that time another way


def sweep(runner: Runner[SchedulingUnitOfWork], policy: SchedulingPolicy,
          batch: int = 100) -> SweepReport:
    """Lapses the waitlist offers and holds whose time ran out by the runner's clock, each
    in a transaction of its own that also offers the freed slot to the next patient; then
    closes the waiting entries whose latest acceptable start has come (EXPIRED), and
    withdraws the open offers whose patient was booked at that time another way. Safe
    to run in several processes at once: each lapse is a conditional update that only one
    transaction wins. The service runs it every SCHEDULING_SWEEP_SECONDS."""
    now = runner.clock()
    offers = runner.read(lambda uow: [o.offer_id for o in uow.waitlist.lapsed_offers(now, batch)])
    expired_offers = sum(_each(runner, "SweepWaitlistOffer", offer_id,
                               lambda uow, c, i=offer_id: waitlist_offers.expire_offer(
                                   uow, i, c.now, policy)) for offer_id in offers)
    overtaken = runner.read(lambda uow: [o.offer_id for o in
                                         uow.waitlist.overtaken_offers(batch)])
    withdrawn_offers = sum(_each(runner, "SweepWaitlistOffer", offer_id,
                                 lambda uow, c, i=offer_id: waitlist_offers.withdraw_overtaken(
                                     uow, i, c.now, policy)) for offer_id in overtaken)
    holds = runner.read(lambda uow: [(h.location_id, h.hold_id)
                                     for h in uow.holds.lapsed(now, batch)])
    expired_holds = sum(_each(runner, "SweepHold", hold_id,
                              lambda uow, c, at=location_id, i=hold_id:
                              waitlist_offers.expire_hold(uow, at, i, c.now, policy))
                        for location_id, hold_id in holds)
    # After the offers: an entry whose offer just lapsed waits again, and may be outlived.
    now = runner.clock()
    entries = runner.read(lambda uow: [e.entry_id for e in uow.waitlist.outlived(now, batch)])
    expired_entries = sum(_each(runner, "SweepWaitlistEntry", entry_id,
                                lambda uow, c, i=entry_id: waitlist_offers.expire_entry(
                                    uow, i, c.now)) for entry_id in entries)
    return SweepReport(expired_offers, expired_holds, expired_entries, withdrawn_offers)


def _each(runner: Runner[SchedulingUnitOfWork], method: str, item: str, step) -> bool:
    done = []

    def action(uow: SchedulingUnitOfWork, c) -> str:
        done.append(step(uow, c))
        return item

    try:
        runner.change(method, NO_KEY, action)
    except ClinicError as refusal:
        log.warning("sweep step refused", extra={"method": method, "item": item,
                                                 "reason": getattr(refusal, "reason", "")})
        return False
    return bool(done and done[-1])
