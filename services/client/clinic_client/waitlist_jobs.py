"""The `clinic waitlist` commands: put a patient on scheduling's waitlist for an earlier
slot, list it first come first, take someone off, accept or decline the slot offered.

An entry is given as its name (``patients/p1/waitlistEntries/E1``) or its bare id.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from google.protobuf import timestamp_pb2

from clinic_client.cli import _dict, app, run, show
from clinic_client.jobs import SCHEDULING, _time, appointment_name

WAITLIST = f"{SCHEDULING}.WaitlistService"
ENTRY_COLUMNS = ["entry_id", "patient_id", "appointment_type", "locations", "state",
                 "offer_location", "offer_local_start", "offer_expires", "appointment"]

waitlist_app = typer.Typer(help="The waitlist for earlier slots: add, list, cancel, accept "
                                "or decline an offer.", no_args_is_help=True)
app.add_typer(waitlist_app, name="waitlist")


def entry_name(entry: str) -> str:
    return entry if "/" in entry else f"patients/-/waitlistEntries/{entry}"


def _row(entry) -> dict:
    """The entry as printed: its fields, and its offer and locations in a word each."""
    row = _dict(entry)
    offer = row.get("offer", {})
    row.update(state=row.get("state", "").removeprefix("WAITLIST_ENTRY_STATE_"),
               locations=",".join(row.get("location_ids", [])) or "any",
               offer_location=offer.get("location_id", ""),
               offer_local_start=offer.get("local_start_time", ""),
               offer_expires=offer.get("expire_time", ""))
    return row


def _show(entry, title: str) -> None:
    show(_row(entry), title=title, key="name")


@waitlist_app.command("add")
def waitlist_add(
        patient: Annotated[str, typer.Argument(help="patient id")],
        appointment_type: Annotated[str, typer.Option("--type", help="appointment type code")],
        until: Annotated[str, typer.Option(help="the latest start accepted, with offset")],
        start: Annotated[str, typer.Option("--from", help="the earliest start accepted, with "
                                                          "offset (now)")] = "",
        location: Annotated[list[str], typer.Option(
            help="a location id (repeat; default: any location you may book at)")] = [],  # noqa: B006
        move: Annotated[str, typer.Option(
            help="the patient's booked appointment to move earlier instead of booking another"
        )] = "",
        ) -> None:
    """Put a patient on the waitlist for an earlier slot of a type."""
    latest = _time(until, "--until")
    if start:
        earliest = _time(start, "--from")
    else:
        earliest = timestamp_pb2.Timestamp()
        earliest.FromDatetime(dt.datetime.now(dt.UTC))

    def add(c):
        entry = c.scheduling.request(f"{WAITLIST}/CreateWaitlistEntry").waitlist_entry
        entry.MergeFrom(type(entry)(
            appointment_type=appointment_type, location_ids=location,
            earliest_start_time=earliest, latest_start_time=latest,
            current_appointment=appointment_name(move) if move else ""))
        return c.scheduling.call(f"{WAITLIST}/CreateWaitlistEntry", parent=f"patients/{patient}",
                                 waitlist_entry=entry).waitlist_entry

    _show(run(add), "on the waitlist")


@waitlist_app.command("list")
def waitlist_list(
        patient: Annotated[str, typer.Option(help="only this patient's entries")] = "",
        location: Annotated[str, typer.Option(help="only entries that take this location")] = "",
        appointment_type: Annotated[str, typer.Option("--type", help="only of this type")] = "",
        closed: Annotated[bool, typer.Option("--all", help="also fulfilled, cancelled and expired")
                          ] = False,
        ) -> None:
    """The waitlist, first come first, with each open offer."""
    rows = run(lambda c: [_row(e) for e in c.scheduling.pages(
        f"{WAITLIST}/ListWaitlistEntries", "waitlist_entries",
        parent=f"patients/{patient or '-'}", location_id=location,
        appointment_type=appointment_type, show_closed=closed)])
    show(rows, ENTRY_COLUMNS, "waitlist", key="name")


def _act(method: str, entry: str, title: str) -> None:
    _show(run(lambda c: c.scheduling.call(f"{WAITLIST}/{method}", name=entry_name(entry)
                                          ).waitlist_entry), title)


@waitlist_app.command("cancel")
def waitlist_cancel(entry: Annotated[str, typer.Argument(help="entry id or name")]) -> None:
    """Take a patient off the waitlist (an open offer goes to the next patient)."""
    _act("CancelWaitlistEntry", entry, "cancelled")


@waitlist_app.command("accept")
def waitlist_accept(entry: Annotated[str, typer.Argument(help="entry id or name")]) -> None:
    """Accept the slot offered: it is booked (or the patient's visit moved to it)."""
    _act("AcceptWaitlistOffer", entry, "booked")


@waitlist_app.command("decline")
def waitlist_decline(entry: Annotated[str, typer.Argument(help="entry id or name")]) -> None:
    """Decline the slot offered: the patient keeps waiting, the next one is offered it."""
    _act("DeclineWaitlistOffer", entry, "declined")
