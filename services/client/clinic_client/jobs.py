"""The `clinic` command's scheduling and billing jobs: availability and booking, a
location's day, the visit steps, charges and balances, claims, remittances, reports.

Scheduling's and billing's methods are called by their full name (see
``clinic_client.calls``); ids are accepted bare or as full resource names
(``A1`` or ``locations/-/appointments/A1``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from google.protobuf import json_format, timestamp_pb2
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from clinic_client.cli import _check_date, _dict, app, err, run, show

SCHEDULING = "clinic.scheduling.v1"
BILLING = "clinic.billing.v1"
APPOINTMENTS = f"{SCHEDULING}.AppointmentService"
VISITS = f"{SCHEDULING}.VisitService"
AVAILABILITY = f"{SCHEDULING}.AvailabilityService/SearchAvailability"
CLAIMS = f"{BILLING}.ClaimService"
SERIES = f"{SCHEDULING}.SeriesService"

SLOT_COLUMNS = ["location_id", "local_start_time", "time_zone", "start_time", "resource_ids"]
APPOINTMENT_COLUMNS = ["appointment_id", "location_id", "start_time", "patient_id",
                       "appointment_type", "status", "visit_phase"]
CHARGE_COLUMNS = ["charge_id", "patient_id", "appointment_id", "service_date",
                  "procedure_code", "units", "amount_cents", "responsibility", "state"]


def _day(value: str) -> dict:
    day = dt.date.fromisoformat(value)
    return {"year": day.year, "month": day.month, "day": day.day}


def _time(value: str, option: str) -> timestamp_pb2.Timestamp:
    """A timestamp from ISO 8601 with its offset (``2026-12-01T17:00:00Z``)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} is not a time with its offset, e.g. "
                                 "2026-12-01T17:00:00Z or 2026-12-01T09:00-08:00",
                                 param_hint=option)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(dt.UTC))
    return stamp


def appointment_name(appointment: str) -> str:
    return appointment if "/" in appointment else f"locations/-/appointments/{appointment}"


def account_name(account: str) -> str:
    return account if account.startswith("accounts/") else f"accounts/{account}"


# --- availability and appointments ---------------------------------------------------------

availability_app = typer.Typer(help="Open times across the locations.", no_args_is_help=True)
app.add_typer(availability_app, name="availability")


@availability_app.command("search")
def availability_search(
        appointment_type: Annotated[str, typer.Argument(help="appointment type code")],
        location: Annotated[list[str], typer.Option(
            help="a location id (repeat; default: every location you may book at)")] = [],  # noqa: B006
        start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD (today)")] = "",
        days: Annotated[int, typer.Option(min=1, max=31, help="how many days")] = 7,
        patient: Annotated[str, typer.Option(help="the patient, to skip their busy times")] = "",
        staff: Annotated[str, typer.Option(help="a preferred staff member id")] = "",
        limit: Annotated[int, typer.Option(min=1, help="at most this many times")] = 50,
        ) -> None:
    """Find open start times for a type at one or more locations."""
    if start:
        _check_date(start, "--from")
    first = dt.date.fromisoformat(start) if start else dt.date.today()
    last = first + dt.timedelta(days=days - 1)

    def search(c):
        slots = []
        for slot in c.scheduling.pages(AVAILABILITY, "slots", page_size=min(limit, 100),
                                       appointment_type=appointment_type,
                                       start_date=_day(first.isoformat()),
                                       end_date=_day(last.isoformat()),
                                       location_ids=location, patient_id=patient,
                                       staff_member_id=staff):
            slots.append(slot)
            if len(slots) >= limit:
                break
        return slots

    show(run(search), SLOT_COLUMNS, f"open times for {appointment_type}", key="start_time")


HOLDS = f"{SCHEDULING}.AvailabilityService"


def _show_hold(hold) -> None:
    """A hold in a field/value table, its staff as "id (need)"; ``--json`` every field."""
    from clinic_client import cli

    if cli.Output.json or cli.Output.quiet:
        show(_whole(hold), key="name")
        return
    row = _whole(hold)
    row["staff"] = ", ".join(f"{s.staff_member_id} ({s.role})" for s in hold.staff) or "none"
    row["resource_ids"] = ", ".join(hold.resource_ids) or "none"
    show(row, title=row.get("name", "hold"))


@availability_app.command("hold")
def availability_hold(
        patient: Annotated[str, typer.Argument(help="patient id")],
        location: Annotated[str, typer.Option(help="location id")],
        appointment_type: Annotated[str, typer.Option("--type", help="appointment type code")],
        start: Annotated[str, typer.Option(help="start time with offset (from a search)")],
        ) -> None:
    """Hold a slot for a few minutes while the patient confirms: its resources and the staff
    the visit would use. Book it with `clinic appointment book ... --hold HOLD`."""
    stamp = _time(start, "--start")
    _show_hold(run(lambda c: c.scheduling.call(
        f"{HOLDS}/CreateHold", parent=f"locations/{location}", patient_id=patient,
        appointment_type=appointment_type, start_time=stamp).hold))


@availability_app.command("release")
def availability_release(
        hold: Annotated[str, typer.Argument(
            help="the hold's name locations/LOCATION/holds/ID, or its id with --location")],
        location: Annotated[str, typer.Option(help="the location, with a bare id")] = "",
        ) -> None:
    """Release a held slot (it then goes to the waitlist)."""
    if not hold.startswith("locations/"):
        if not location:
            raise typer.BadParameter("give the full name locations/LOCATION/holds/ID, or "
                                     "--location", param_hint="HOLD")
        hold = f"locations/{location}/holds/{hold}"
    _show_hold(run(lambda c: c.scheduling.call(f"{HOLDS}/ReleaseHold", name=hold).hold))


appointment_app = typer.Typer(help="Book, show, cancel and move appointments.",
                              no_args_is_help=True)
app.add_typer(appointment_app, name="appointment")


@appointment_app.command("book")
def appointment_book(
        patient: Annotated[str, typer.Argument(help="patient id")],
        location: Annotated[str, typer.Option(help="location id")],
        appointment_type: Annotated[str, typer.Option("--type", help="appointment type code")],
        start: Annotated[str, typer.Option(help="start time with offset (from a search)")],
        resource: Annotated[list[str], typer.Option(
            help="a resource id to take (repeat; default: the service picks)")] = [],  # noqa: B006
        hold: Annotated[str, typer.Option(
            help="the id of a hold on this slot (`clinic availability hold`): books on its "
                 "resources and staff")] = "",
        count: Annotated[int | None, typer.Option(hidden=True)] = None,
        every_days: Annotated[int | None, typer.Option(hidden=True)] = None,
        ) -> None:
    """Book one visit. A treatment course is booked whole with `clinic series book`."""
    if count is not None or every_days is not None:
        raise typer.BadParameter(
            "a course is booked whole, with the plan's spacing, by `clinic series book "
            "PATIENT --type TYPE` (all sessions or none)", param_hint="--count")
    stamp = _time(start, "--start")
    show(run(lambda c: c.scheduling.call(
        f"{APPOINTMENTS}/CreateAppointment", parent=f"locations/{location}",
        appointment={"location_id": location, "patient_id": patient,
                     "appointment_type": appointment_type, "start_time": stamp,
                     "resource_ids": resource}, hold_id=hold.rsplit("/", 1)[-1]).appointment),
         APPOINTMENT_COLUMNS, "booked", key="name")


@appointment_app.command("show")
def appointment_show(appointment: Annotated[str, typer.Argument(help="appointment id or name")]
                     ) -> None:
    """One appointment, with its visit."""
    show(run(lambda c: c.scheduling.call(f"{APPOINTMENTS}/GetAppointment",
                                         name=appointment_name(appointment)).appointment),
         key="name")


@appointment_app.command("cancel")
def appointment_cancel(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                       reason: Annotated[str, typer.Option(help="why")] = "",
                       by: Annotated[str, typer.Option(help="patient or clinic")] = "patient",
                       ) -> None:
    """Cancel an appointment (a late cancel by the patient may bring a fee)."""
    if by not in ("patient", "clinic"):
        raise typer.BadParameter("patient or clinic", param_hint="--by")
    show(run(lambda c: c.scheduling.call(
        f"{APPOINTMENTS}/CancelAppointment", name=appointment_name(appointment), reason=reason,
        initiated_by=f"CANCELLATION_INITIATOR_{by.upper()}").appointment), key="name")


@appointment_app.command("reschedule")
def appointment_reschedule(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                           start: Annotated[str, typer.Option(help="new start, with offset")],
                           resource: Annotated[list[str], typer.Option(
                               help="a resource id (repeat; default: keep)")] = [],  # noqa: B006
                           ) -> None:
    """Move an appointment to another time."""
    stamp = _time(start, "--start")
    show(run(lambda c: c.scheduling.call(
        f"{APPOINTMENTS}/RescheduleAppointment", name=appointment_name(appointment),
        start_time=stamp, resource_ids=resource).appointment), key="name")


# --- treatment series -------------------------------------------------------------------------

series_app = typer.Typer(help="A treatment course: every session of the patient's active plan "
                              "booked at once, its progress, moving one session.",
                         no_args_is_help=True)
app.add_typer(series_app, name="series")
SERIES_COLUMNS = ["series_id", "appointment_type", "booked_count", "completed_count",
                  "cancelled_count", "create_time"]


def series_name(series: str, patient: str) -> str:
    if series.startswith("patients/"):
        return series
    if not patient:
        raise typer.BadParameter("give the full name patients/PATIENT/series/ID, or --patient",
                                 param_hint="SERIES")
    return f"patients/{patient}/series/{series}"


def _clock(value: str, option: str) -> dict | None:
    if not value:
        return None
    try:
        moment = dt.time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time of day (HH:MM)",
                                 param_hint=option) from None
    return {"hours": moment.hour, "minutes": moment.minute}


def _show_series(series) -> None:
    """The series (its progress) and its sessions; ``--json`` the whole series, ``-q`` its name."""
    from clinic_client import cli

    if cli.Output.json or cli.Output.quiet:
        show(_whole(series), key="name")
        return
    row = _whole(series)
    show([row], SERIES_COLUMNS, row.get("name", "series"))
    show(_preferences_row(series), title="preferences")
    show([_plain(a) for a in series.appointments], APPOINTMENT_COLUMNS, "sessions", key="name")


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _preferences_row(series) -> dict:
    """The preferences the series keeps, in words (a series booked before they were kept
    has none)."""
    if not series.HasField("preferences"):
        return {"preferences": "not kept (booked before series kept them)"}
    prefs = series.preferences

    def clock(field: str) -> str:
        if not prefs.HasField(field):
            return "any"
        value = getattr(prefs, field)
        return f"{value.hours:02d}:{value.minutes:02d}"

    first = prefs.start_date
    return {"from": f"{first.year:04d}-{first.month:02d}-{first.day:02d}",
            "weekdays": ", ".join(WEEKDAYS[d - 1] for d in prefs.weekdays if 1 <= d <= 7)
            or "any",
            "earliest_start": clock("earliest_start_time"),
            "latest_start": clock("latest_start_time"),
            "locations": ", ".join(prefs.location_ids) or "any you may book at"}


@series_app.command("book")
def series_book(
        patient: Annotated[str, typer.Argument(help="patient id")],
        appointment_type: Annotated[str, typer.Option(
            "--type", help="the treatment's appointment type, e.g. IV_KETAMINE_INFUSION")],
        location: Annotated[list[str], typer.Option(
            help="a location id, in order of preference (repeat; default: every location "
                 "you may book at)")] = [],  # noqa: B006
        start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD "
                                                          "(the plan's window counts from it)")] = "",
        weekday: Annotated[list[int], typer.Option(
            min=1, max=7, help="an ISO weekday the sessions may fall on, 1 Monday to 7 Sunday "
                               "(repeat; default any)")] = [],  # noqa: B006
        earliest: Annotated[str, typer.Option(help="earliest local start, HH:MM")] = "",
        latest: Annotated[str, typer.Option(help="latest local start, HH:MM")] = "",
        ) -> None:
    """Book the whole course of the patient's active plan in one call: every session, each
    the earliest fitting time at least the plan's spacing after the one before, or none
    (SERIES_DOES_NOT_FIT names the session that does not fit)."""
    if start:
        _check_date(start, "--from")
    preferences = {"weekdays": weekday, "location_ids": location,
                   "earliest_start_time": _clock(earliest, "--earliest"),
                   "latest_start_time": _clock(latest, "--latest"),
                   "start_date": _day(start) if start else None}
    preferences = {k: v for k, v in preferences.items() if v is not None}
    _show_series(run(lambda c: c.scheduling.call(
        f"{SERIES}/BookSeries", parent=f"patients/{patient}",
        appointment_type=appointment_type, preferences=preferences).series))


@series_app.command("show")
def series_show(series: Annotated[str, typer.Argument(
                    help="the series' name patients/PATIENT/series/ID, or its id with --patient")],
                patient: Annotated[str, typer.Option(help="the patient, with a bare id")] = "",
                ) -> None:
    """One series: its progress and its sessions."""
    name = series_name(series, patient)
    _show_series(run(lambda c: c.scheduling.call(f"{SERIES}/GetSeries", name=name).series))


@series_app.command("list")
def series_list(patient: Annotated[str, typer.Argument(help="patient id")]) -> None:
    """A patient's series, newest first."""
    show(run(lambda c: [_whole(s) for s in c.scheduling.pages(
        f"{SERIES}/ListSeries", "series", parent=f"patients/{patient}")]),
        SERIES_COLUMNS, f"series of {patient}", key="name")


@series_app.command("rebook")
def series_rebook(appointment: Annotated[str, typer.Argument(help="the session's appointment")],
                  start: Annotated[str, typer.Option(help="new start, with offset")] = "",
                  next_available: Annotated[bool, typer.Option(
                      help="the earliest time that keeps the spacing (next 30 days)")] = False,
                  ) -> None:
    """Move one session of a series, keeping the plan's spacing from its neighbours."""
    if bool(start) == next_available:
        raise typer.BadParameter("give --start TIME or --next-available", param_hint="--start")
    fields = {"start_time": _time(start, "--start")} if start else {"next_available": True}
    show(run(lambda c: c.scheduling.call(f"{SERIES}/RebookSeriesSession",
                                         name=appointment_name(appointment),
                                         **fields).appointment),
         APPOINTMENT_COLUMNS, "moved", key="name")


@app.command("day")
def day(location: Annotated[str, typer.Argument(help="location id")],
        date: Annotated[str, typer.Option(help="YYYY-MM-DD (today)")] = "",
        staff: Annotated[str, typer.Option(help="only visits this staff member rendered")] = "",
        assigned: Annotated[str, typer.Option(
            help="only visits this staff member is booked on (a nurse's or provider's day)",
        )] = "",
        ) -> None:
    """A location's day: its appointments in start order, with their local times."""
    if date:
        _check_date(date, "--date")
    when = _day(date or dt.date.today().isoformat())

    def listing(c):
        place = c.scheduling.call(f"{SCHEDULING}.LocationService/GetLocation",
                                  name=f"locations/{location}").location
        zone = ZoneInfo(place.time_zone) if place.time_zone else dt.UTC
        rows = []
        for appointment in c.scheduling.pages(
                f"{APPOINTMENTS}/ListAppointments", "appointments",
                parent=f"locations/{location}", start_date=when, end_date=when,
                rendering_staff_id=staff, staff_member_id=assigned):
            row = _plain(appointment)
            row["local_time"] = appointment.start_time.ToDatetime(dt.UTC).astimezone(
                zone).strftime("%H:%M")
            rows.append(row)
        return rows

    show(run(listing), ["local_time", *APPOINTMENT_COLUMNS],
         f"{location} {date or dt.date.today().isoformat()}", key="name")


# --- the visit day ---------------------------------------------------------------------------

visit_app = typer.Typer(help="The visit's steps: check in, start, vitals, end, discharge, "
                             "complete.", no_args_is_help=True)
app.add_typer(visit_app, name="visit")


def _step(method: str, appointment: str, **fields) -> None:
    show(run(lambda c: c.scheduling.call(f"{VISITS}/{method}", name=appointment_name(appointment),
                                         **fields).appointment), key="name")


@visit_app.command("check-in")
def visit_check_in(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                   escort: Annotated[bool, typer.Option(help="an escort is confirmed")] = False,
                   fasting: Annotated[bool, typer.Option(help="fasting is confirmed")] = False,
                   ) -> None:
    """Check the patient in, with the checklist their clearance asks for."""
    _step("CheckInAppointment", appointment, escort_confirmed=escort, fasting_confirmed=fasting)


@visit_app.command("start")
def visit_start(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                drug: Annotated[str, typer.Option(help="the drug given, e.g. ketamine")] = "",
                dose_mg: Annotated[str, typer.Option(help="dose given in mg, e.g. 37.5")] = "",
                lot: Annotated[str, typer.Option(help="lot number")] = "") -> None:
    """Start the treatment (you are recorded as the rendering staff)."""
    _step("StartVisit", appointment, drug=drug, dose_given_mg=dose_mg, lot_number=lot)


@visit_app.command("vitals")
def visit_vitals(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                 bp: Annotated[str, typer.Option(help="blood pressure, e.g. 124/80")] = "",
                 pulse: Annotated[int, typer.Option(help="beats per minute")] = 0,
                 spo2: Annotated[int, typer.Option(help="SpO2 percent")] = 0) -> None:
    """Record vitals during the visit; readings out of range are printed as alerts."""
    systolic, _, diastolic = bp.partition("/")
    if bp and not (systolic.isdigit() and diastolic.isdigit()):
        raise typer.BadParameter("give it as SYSTOLIC/DIASTOLIC, e.g. 124/80", param_hint="--bp")
    answer = run(lambda c: c.scheduling.call(
        f"{VISITS}/RecordVisitVitals", name=appointment_name(appointment),
        systolic_mmhg=int(systolic or 0), diastolic_mmhg=int(diastolic or 0), pulse_bpm=pulse,
        spo2_percent=spo2))
    from clinic_client import cli

    if cli.Output.json:  # the alerts go with the visit, for scripts
        show({**_plain(answer.appointment), "alerts": list(answer.alerts)})
        return
    show(answer.appointment, key="name")
    for alert in answer.alerts:
        err.print(f"[bold yellow]alert[/]: {alert}", highlight=False)


@visit_app.command("end")
def visit_end(appointment: Annotated[str, typer.Argument(help="appointment id or name")]) -> None:
    """End the treatment; recovery begins."""
    _step("EndVisit", appointment)


@visit_app.command("discharge")
def visit_discharge(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                    escort_name: Annotated[str, typer.Option(help="who takes the patient home")
                                           ] = "") -> None:
    """Discharge the patient (an escort's name after IV ketamine or Spravato)."""
    _step("DischargeVisit", appointment, escort_name=escort_name)


@visit_app.command("complete")
def visit_complete(appointment: Annotated[str, typer.Argument(help="appointment id or name")],
                   provider: Annotated[str, typer.Option(help="rendering provider id")] = "",
                   dose_mcg: Annotated[int, typer.Option(help="administered dose in mcg")] = 0,
                   em_level: Annotated[int, typer.Option(
                       help="established-patient E/M level 2-5 (99212-99215)")] = 0,
                   credential: Annotated[str, typer.Option(
                       help="rendering provider's credential: MD, DO, NP, PA, PHD, PSYD, "
                            "LCSW, LPC, LMFT")] = "",
                   motor_threshold_redetermined: Annotated[bool, typer.Option(
                       help="a TMS session re-determined the motor threshold")] = False,
                   wasted_mg: Annotated[str, typer.Option(
                       help="drug discarded from the opened containers in mg, e.g. 28; "
                            "0 for none")] = "",
                   ) -> None:
    """Complete the appointment (FULFILLED); billing codes its charges from it and from
    what you report: the E/M level, the provider's credential, a motor threshold
    re-determination, the drug discarded."""
    _step("CompleteAppointment", appointment, rendering_provider_id=provider,
          administered_dose_mcg=dose_mcg, em_level=em_level, provider_credential=credential,
          motor_threshold_redetermined=motor_threshold_redetermined, drug_wasted_mg=wasted_mg)


@visit_app.command("no-show")
def visit_no_show(appointment: Annotated[str, typer.Argument(help="appointment id or name")]) -> None:
    """Mark the appointment a no-show."""
    _step("MarkAppointmentNoShow", appointment)


# --- billing ---------------------------------------------------------------------------------

charges_app = typer.Typer(help="Charges from completed visits, fees and by hand: list them.",
                          no_args_is_help=True)
app.add_typer(charges_app, name="charges")


@charges_app.command("list")
def charges_list(account: Annotated[str, typer.Argument(help="account (patient) id; "
                                                              "default: every account")] = "-",
                 appointment: Annotated[str, typer.Option(help="appointment id or name")] = "",
                 start: Annotated[str, typer.Option("--from", help="first date of service")] = "",
                 end: Annotated[str, typer.Option("--to", help="last date of service")] = "",
                 ) -> None:
    """Charges of an account (or of every account), by appointment and date of service."""
    fields: dict = {"appointment_id": appointment.rsplit("/", 1)[-1]}  # an id or its name
    for value, option, key in ((start, "--from", "start_date"), (end, "--to", "end_date")):
        if value:
            _check_date(value, option)
            fields[key] = _day(value)
    show(run(lambda c: list(c.billing.pages(f"{BILLING}.ChargeService/ListCharges", "charges",
                                            parent=account_name(account), **fields))),
         CHARGE_COLUMNS, "charges", key="name")


account_app = typer.Typer(help="Patient accounts: balances, coverages, superbills.",
                          no_args_is_help=True)
app.add_typer(account_app, name="account")


@account_app.command("show")
def account_show(account: Annotated[str, typer.Argument(help="account (patient) id")]) -> None:
    """An account's balances (patient and insurance) and coverages."""
    show(_whole(run(lambda c: c.billing.call(f"{BILLING}.AccountService/GetAccount",
                                             name=account_name(account)).account)), key="name")


@account_app.command("superbill")
def account_superbill(account: Annotated[str, typer.Argument(help="account (patient) id")],
                      start: Annotated[str, typer.Option("--from",
                                                         help="first date of service")],
                      end: Annotated[str, typer.Option("--to", help="last date of service")],
                      out_file: Annotated[Path | None, typer.Option(
                          "--out", "-o", dir_okay=False,
                          help="where the PDF goes (default: the name billing gives it)")
                      ] = None) -> None:
    """A self-pay patient's superbill (PDF) for out-of-network reimbursement."""
    _check_date(start, "--from")
    _check_date(end, "--to")
    answer = run(lambda c: c.billing.call(f"{BILLING}.AccountService/GetSuperbill",
                                          name=account_name(account), start_date=_day(start),
                                          end_date=_day(end)))
    target = out_file or Path(answer.filename)
    target.write_bytes(answer.pdf)
    show(list(answer.lines), ["service_date", "procedure_code", "units", "charge_cents",
                              "paid_cents"], "superbill", key="charge")
    err.print(f"{target}: {len(answer.lines)} services, charged {answer.charged_cents} "
              f"cents, paid {answer.paid_cents} cents", highlight=False)


FEES = f"{BILLING}.FeeScheduleService"
VERSION_COLUMNS = ["name", "price_kind", "amount_cents", "effective_date", "create_time",
                   "create_staff_id"]
prices_app = typer.Typer(help="Self-pay and list prices by first date of service (with their "
                              "history).", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


@prices_app.command("list")
def prices_list(code: Annotated[str, typer.Argument(
        help="procedure code (NO_SHOW_FEE, LATE_CANCEL_FEE for the policy fees)")]) -> None:
    """A code's price versions (self-pay and list), by the first date of service each prices."""
    show(run(lambda c: list(c.billing.pages(f"{FEES}/ListPriceVersions", "price_versions",
                                            parent=f"feeScheduleEntries/{code}"))),
         VERSION_COLUMNS, f"{code} prices", key="name")


@prices_app.command("set")
def prices_set(code: Annotated[str, typer.Argument(help="procedure code")],
               start: Annotated[str, typer.Option("--from",
                                                  help="first date of service it prices")],
               cents: Annotated[int | None, typer.Option(
                   help="the self-pay price per unit, cents")] = None,
               list_cents: Annotated[int | None, typer.Option(
                   "--list-cents", help="the list price per unit insurance is charged, "
                                        "cents")] = None,
               ) -> None:
    """Set a code's self-pay price (--cents) or list price (--list-cents) from a date of
    service on (the earlier prices stay)."""
    if (cents is None) == (list_cents is None):
        raise typer.BadParameter("give one price: --cents (self-pay) or --list-cents (list)",
                                 param_hint="--cents/--list-cents")
    _check_date(start, "--from")
    field, amount = (("self_pay_price_cents", cents) if cents is not None
                     else ("list_price_cents", list_cents))
    answer = run(lambda c: c.billing.call(
        f"{FEES}/UpdateFeeScheduleEntry", entry={"name": f"feeScheduleEntries/{code}",
                                                 field: amount},
        update_mask={"paths": [field]}, effective_date=_day(start)))
    show(answer.price_version, key="name")


fees_app = typer.Typer(help="Policy fees (no-show, late cancellation).", no_args_is_help=True)
app.add_typer(fees_app, name="fees")


@fees_app.command("list")
def fees_list() -> None:
    """The policy fees at the amounts in force today."""
    show(run(lambda c: list(c.billing.call(f"{FEES}/ListPolicyFees").policy_fees)),
         ["name", "amount_cents", "effective_date"], "policy fees", key="name")


@fees_app.command("set")
def fees_set(fee: Annotated[str, typer.Argument(help="NO_SHOW_FEE or LATE_CANCEL_FEE")],
             cents: Annotated[int, typer.Option(help="the amount, cents (0 charges none)")],
             start: Annotated[str, typer.Option("--from", help="first date of service "
                                                               "(the missed appointment's)")],
             ) -> None:
    """Set a policy fee from a date on (the earlier amounts stay)."""
    _check_date(start, "--from")
    name = fee if fee.startswith("policyFees/") else f"policyFees/{fee.upper()}"
    answer = run(lambda c: c.billing.call(
        f"{FEES}/UpdatePolicyFee", policy_fee={"name": name, "amount_cents": cents},
        update_mask={"paths": ["amount_cents"]}, effective_date=_day(start)))
    show(answer.price_version, key="name")


PROVIDERS = f"{BILLING}.ProviderService"
PROVIDER_COLUMNS = ["version", "organization_name", "npi", "tax_id", "taxonomy_code", "address",
                    "phone", "effective_date", "create_staff_id"]
RENDERING_COLUMNS = ["name", "last_name", "first_name", "credentials", "npi", "taxonomy_code",
                     "update_staff_id"]
provider_app = typer.Typer(help="The billing provider (dated versions) and rendering "
                                "providers claims go out with.", no_args_is_help=True)
app.add_typer(provider_app, name="provider")
rendering_app = typer.Typer(help="Rendering providers by staff id: names and NPIs.",
                            no_args_is_help=True)
provider_app.add_typer(rendering_app, name="rendering")


@provider_app.command("show")
def provider_show(as_of: Annotated[str, typer.Option(
        "--as-of", help="the date it is in force for (default today)")] = "",
                  history: Annotated[bool, typer.Option(
                      help="every version instead, by effective date")] = False) -> None:
    """The billing provider in force (an empty version: the BILLING_PROVIDER_* settings)."""
    if history:
        show(run(lambda c: list(c.billing.pages(f"{PROVIDERS}/ListBillingProviderVersions",
                                                "billing_providers"))),
             PROVIDER_COLUMNS, "billing provider versions", key="version")
        return
    if as_of:
        _check_date(as_of, "--as-of")
    show(run(lambda c: c.billing.call(
        f"{PROVIDERS}/GetBillingProvider", name="billingProvider",
        as_of=_day(as_of) if as_of else None).billing_provider), key="version")


@provider_app.command("set")
def provider_set(
        name: Annotated[str | None, typer.Option(help="the organization's legal name")] = None,
        npi: Annotated[str | None, typer.Option(help="its NPI (10 digits, Luhn-checked)")] = None,
        tax_id: Annotated[str | None, typer.Option(help="its EIN, 12-3456789")] = None,
        taxonomy: Annotated[str | None, typer.Option(help="its taxonomy code")] = None,
        street: Annotated[str | None, typer.Option(help="street (with --city --state --zip)")
                          ] = None,
        city: Annotated[str | None, typer.Option(help="city of the billing address")] = None,
        state: Annotated[str | None, typer.Option(help="two-letter state")] = None,
        zip_code: Annotated[str | None, typer.Option("--zip", help="ZIP+4, 92008-1234")] = None,
        phone: Annotated[str | None, typer.Option(help="the billing office's phone")] = None,
        start: Annotated[str, typer.Option("--from", help="first date it is in force for "
                                                          "(default today)")] = "",
) -> None:
    """Set the billing provider from a date on: a new version; what is not given is kept."""
    fields = {"organization_name": name, "npi": npi, "tax_id": tax_id,
              "taxonomy_code": taxonomy, "phone": phone}
    provider = {k: v for k, v in fields.items() if v is not None}
    address = (street, city, state, zip_code)
    if any(part is not None for part in address):
        if any(part is None for part in address):
            raise typer.BadParameter("an address takes all of --street --city --state --zip",
                                     param_hint="--street")
        provider["address"] = {"street": street, "city": city, "state": state,
                               "postal_code": zip_code}
    if not provider:
        raise typer.BadParameter("give at least one field to set", param_hint="--name")
    if start:
        _check_date(start, "--from")
    answer = run(lambda c: c.billing.call(
        f"{PROVIDERS}/UpdateBillingProvider", billing_provider={"name": "billingProvider",
                                                                **provider},
        update_mask={"paths": list(provider)}, effective_date=_day(start) if start else None))
    show(answer.billing_provider, key="version")


def _rendering_name(staff: str) -> str:
    return staff if staff.startswith("renderingProviders/") else f"renderingProviders/{staff}"


@rendering_app.command("add")
def rendering_add(staff: Annotated[str, typer.Argument(help="the staff id charges name")],
                  first: Annotated[str, typer.Option(help="first name")],
                  last: Annotated[str, typer.Option(help="last name")],
                  npi: Annotated[str, typer.Option(help="NPI (10 digits, Luhn-checked)")],
                  credentials: Annotated[str, typer.Option(help="MD, PMHNP-BC, ...")] = "",
                  taxonomy: Annotated[str, typer.Option(help="taxonomy code")] = "") -> None:
    """Record a rendering provider's name and NPI under their staff id."""
    show(run(lambda c: c.billing.call(
        f"{PROVIDERS}/CreateRenderingProvider", rendering_provider_id=staff,
        rendering_provider={"first_name": first, "last_name": last, "npi": npi,
                            "credentials": credentials, "taxonomy_code": taxonomy},
    ).rendering_provider), key="name")


@rendering_app.command("list")
def rendering_list() -> None:
    """The rendering providers, by staff id."""
    show(run(lambda c: list(c.billing.pages(f"{PROVIDERS}/ListRenderingProviders",
                                            "rendering_providers"))),
         RENDERING_COLUMNS, "rendering providers", key="name")


@rendering_app.command("set")
def rendering_set(staff: Annotated[str, typer.Argument(help="staff id or renderingProviders/ID")],
                  first: Annotated[str | None, typer.Option(help="first name")] = None,
                  last: Annotated[str | None, typer.Option(help="last name")] = None,
                  npi: Annotated[str | None, typer.Option(help="NPI")] = None,
                  credentials: Annotated[str | None, typer.Option(help="MD, PMHNP-BC, ...")] = None,
                  taxonomy: Annotated[str | None, typer.Option(help="taxonomy code")] = None,
                  ) -> None:
    """Change what is given of a rendering provider."""
    fields = {"first_name": first, "last_name": last, "npi": npi, "credentials": credentials,
              "taxonomy_code": taxonomy}
    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise typer.BadParameter("give at least one field to change", param_hint="--npi")
    show(run(lambda c: c.billing.call(
        f"{PROVIDERS}/UpdateRenderingProvider",
        rendering_provider={"name": _rendering_name(staff), **given},
        update_mask={"paths": list(given)}).rendering_provider), key="name")


claims_app = typer.Typer(help="Draft, ready and export claims (837P).", no_args_is_help=True)
app.add_typer(claims_app, name="claims")
CLAIM_COLUMNS = ["name", "payer_id", "service_date", "state", "total_charge_cents", "batch"]
RESPONSIBILITY_INSURANCE, CHARGE_POSTED = 2, 1  # billing.v1 Responsibility, ChargeState


@claims_app.command("create")
def claims_create(account: Annotated[str, typer.Argument(help="account (patient) id")],
                  charge: Annotated[list[str], typer.Option(
                      help="a charge id or name (repeat)")] = [],  # noqa: B006
                  appointment: Annotated[str, typer.Option(
                      help="instead of --charge: the visit's standing charges to insurance")
                  ] = "") -> None:
    """Build a draft claim from an account's charges: those named, or a visit's charges
    billed to insurance (`--appointment`; exits 5 when it has none: self-pay codes, no
    coverage in force, or already claimed charges are still listed by `clinic charges list`)."""
    if bool(charge) == bool(appointment):
        raise typer.BadParameter("give --charge C (repeat) or --appointment A",
                                 param_hint="--charge")
    parent = account_name(account)
    names = [c if "/" in c else f"{parent}/charges/{c}" for c in charge]

    def create(c):
        if appointment:
            names.extend(x.name for x in c.billing.pages(
                f"{BILLING}.ChargeService/ListCharges", "charges", parent=parent,
                appointment_id=appointment.rsplit("/", 1)[-1])
                if x.responsibility == RESPONSIBILITY_INSURANCE and x.state == CHARGE_POSTED)
            if not names:
                return None
        return c.billing.call(f"{CLAIMS}/CreateClaim", parent=parent, charges=names).claim

    claim = run(create)
    if claim is None:
        from clinic_client.cli import NOT_FOUND, _fail

        _fail(NOT_FOUND, f"appointment {appointment} has no standing charges to insurance on "
                         f"{parent}: its codes are self-pay, or no coverage was in force "
                         "(see `clinic charges list`)")
    show(claim, CLAIM_COLUMNS, key="name")


@claims_app.command("ready")
def claims_ready(claim: Annotated[str, typer.Argument(help="claim name, accounts/A/claims/C")],
                 last: Annotated[str, typer.Option(help="subscriber's last name")] = "",
                 first: Annotated[str, typer.Option(help="subscriber's first name")] = "",
                 born: Annotated[str, typer.Option(help="subscriber's birth date")] = "",
                 gender: Annotated[str, typer.Option(help="F, M or U")] = "",
                 address: Annotated[str, typer.Option(help="subscriber's street address")] = "",
                 city: Annotated[str, typer.Option(help="subscriber's city")] = "",
                 state: Annotated[str, typer.Option(help="two-letter state, e.g. CA")] = "",
                 postal_code: Annotated[str, typer.Option(help="5- or 9-digit ZIP")] = "",
                 ) -> None:
    """Make a draft claim ready, with the subscriber as the insurance card names them."""
    subscriber: dict = {"last_name": last, "first_name": first, "gender": gender,
                        "address_line": address, "city": city, "state": state,
                        "postal_code": postal_code}
    if born:
        _check_date(born, "--born")
        subscriber["birth_date"] = _day(born)
    show(run(lambda c: c.billing.call(f"{CLAIMS}/MarkClaimReady", name=claim,
                                      subscriber=subscriber).claim), key="name")


@claims_app.command("export")
def claims_export(claim: Annotated[list[str], typer.Argument(help="ready claims' names")],
                  out_file: Annotated[Path, typer.Option("--out", dir_okay=False,
                                                         help="where the 837P goes")]) -> None:
    """Export ready claims as one 837P file; they become submitted."""
    batch = run(lambda c: c.billing.call(f"{CLAIMS}/ExportClaims", claims=claim).batch)
    out_file.write_bytes(batch.content)
    batch.ClearField("content")
    row = {**_plain(batch), "file": str(out_file)}
    show(row, key="name")


@claims_app.command("accept")
def claims_accept(claim: Annotated[str, typer.Argument(help="claim name, accounts/A/claims/C")],
                  payer_claim_number: Annotated[str, typer.Option(
                      help="the payer's claim number from its 277CA")] = "",
                  on: Annotated[str, typer.Option(help="the day it acknowledged (today)")] = "",
                  ) -> None:
    """Record the payer's acknowledgement (277CA) of a submitted claim: it becomes accepted."""
    fields: dict = {"payer_claim_number": payer_claim_number}
    if on:
        _check_date(on, "--on")
        fields["accept_date"] = _day(on)
    show(run(lambda c: c.billing.call(f"{CLAIMS}/MarkClaimAccepted", name=claim,
                                      **fields).claim), CLAIM_COLUMNS, key="name")


@claims_app.command("appeal")
def claims_appeal(claim: Annotated[str, typer.Argument(help="claim name, accounts/A/claims/C")],
                  note: Annotated[str, typer.Option(help="the grounds of the appeal")],
                  on: Annotated[str, typer.Option(help="the day it was sent (today)")] = "",
                  ) -> None:
    """Record the appeal of a denied or partially paid claim."""
    if on:
        _check_date(on, "--on")
    when = _day(on or dt.date.today().isoformat())
    show(run(lambda c: c.billing.call(f"{CLAIMS}/AppealClaim", name=claim, note=note,
                                      appeal_date=when).claim), CLAIM_COLUMNS, key="name")


@claims_app.command("close")
def claims_close(claim: Annotated[str, typer.Argument(help="claim name, accounts/A/claims/C")],
                 reason: Annotated[str, typer.Option(help="why nothing more is expected")],
                 ) -> None:
    """Close a sent claim on which nothing more is expected."""
    show(run(lambda c: c.billing.call(f"{CLAIMS}/CloseClaim", name=claim,
                                      reason=reason).claim), CLAIM_COLUMNS, key="name")


@claims_app.command("secondary")
def claims_secondary(claim: Annotated[str, typer.Argument(
        help="the primary claim's name, accounts/A/claims/C")]) -> None:
    """Build the draft claim to the patient's secondary coverage, once the primary's
    remittance is posted; it carries what the primary paid and adjusted."""
    show(run(lambda c: c.billing.call(f"{CLAIMS}/CreateSecondaryClaim",
                                      primary_claim=claim).claim), CLAIM_COLUMNS, key="name")


@claims_app.command("history")
def claims_history(claim: Annotated[str, typer.Argument(
        help="claim name, accounts/A/claims/C")]) -> None:
    """A claim's steps, oldest first: from and to which state, when, by whom, and why."""
    show(run(lambda c: list(c.billing.pages(f"{CLAIMS}/ListClaimTransitions", "transitions",
                                            parent=claim))),
         ["from_state", "to_state", "occur_time", "actor", "note", "reference"], claim,
         key="name")


def _plain(message) -> dict:
    return _dict(message)


def _whole(message) -> dict:
    """Every field, zeros and false too (a balance of 0 is shown, not left out)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


remittance_app = typer.Typer(help="Remittances (835).", no_args_is_help=True)
app.add_typer(remittance_app, name="remittance")


@remittance_app.command("import")
def remittance_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                           help="an 835 file")],
                      deadline: Annotated[float, typer.Option(
                          help="seconds the import may take: a 10,000-claim file posts in "
                               "about 20 s (BENCHMARKS.md)")] = 600.0) -> None:
    """Import an 835 and post it (one call; a file imported before is not posted twice)."""
    size = file.stat().st_size
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  console=err, transient=False) as progress:
        reading = progress.add_task(f"reading {file.name}", total=size)
        chunks = []
        with file.open("rb") as source:
            while chunk := source.read(64 * 1024):
                chunks.append(chunk)
                progress.advance(reading, len(chunk))
        content = b"".join(chunks)
        sending = progress.add_task("sending and posting", total=len(content))
        try:
            def post(c):
                c.billing.caller.deadline = max(c.billing.caller.deadline, deadline)
                return c.billing.call(f"{BILLING}.RemittanceService/ImportRemittance",
                                      content=content)

            answer = run(post)
        finally:
            progress.update(sending, completed=len(content))
    remittance = _plain(answer.remittance)
    remittance["already_imported"] = answer.already_imported
    remittance["claims"] = len(remittance.get("claims", []))
    remittance.pop("suspense_items", None)
    show(remittance, key="name")
    if answer.already_imported:
        err.print("already imported: nothing was posted again", highlight=False)


report_app = typer.Typer(help="Billing reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("reconciliation")
def report_reconciliation(remittance: Annotated[str, typer.Argument(
        help="remittance id or name")]) -> None:
    """Whether a remittance's deposit matches what was posted, and what does not."""
    name = remittance if remittance.startswith("remittances/") else f"remittances/{remittance}"
    answer = run(lambda c: c.billing.call(
        f"{BILLING}.ReportService/GetRemittanceReconciliation", name=name))
    show(_whole(answer), title=name)


@report_app.command("aging")
def report_aging(as_of: Annotated[str, typer.Option(help="YYYY-MM-DD (today)")] = "") -> None:
    """Accounts receivable by age: each payer's, and the patients'."""
    if as_of:
        _check_date(as_of, "--as-of")
    when = _day(as_of or dt.date.today().isoformat())
    answer = run(lambda c: c.billing.call(f"{BILLING}.ReportService/GetArAging", as_of=when))
    buckets = ["days_0_30_cents", "days_31_60_cents", "days_61_90_cents", "days_over_90_cents"]
    rows = [{"owed_by": p.payer_id, **{b: getattr(p.buckets, b) for b in buckets}}
            for p in answer.payers]
    rows.append({"owed_by": "patients", **{b: getattr(answer.patients, b) for b in buckets}})
    show(rows, ["owed_by", *buckets], f"AR aging; unapplied patient credit "
                                      f"{answer.unapplied_patient_credit_cents} cents",
         key="owed_by")



# --- prior authorizations ----------------------------------------------------------------------

billing_app = typer.Typer(help="Billing's records kept by hand (now `clinic authorizations`).",
                          no_args_is_help=True)
app.add_typer(billing_app, name="billing")
auth_app = typer.Typer(help="Payers' prior authorizations.", no_args_is_help=True)
billing_app.add_typer(auth_app, name="auth")
AUTHORIZATIONS = f"{BILLING}.PriorAuthorizationService"
AUTH_COLUMNS = ["name", "payer_id", "authorization_number", "procedure_codes",
                "units_authorized", "units_remaining", "units_scheduled",
                "units_left_after_scheduled", "start_date", "end_date", "state"]
BOOKING_COLUMNS = ["name", "appointment_type", "service_date", "payer_id", "lines",
                   "authorization_problem", "authorization_problem_detail"]


def _auth_rows(items) -> list[dict]:
    """Rows that show every count: 0 units left is shown, not left out."""
    return [_whole(item) for item in items]


@auth_app.command("add")
def auth_add(account: Annotated[str, typer.Argument(help="account (patient) id")],
             payer: Annotated[str, typer.Option(help="the payer's id")],
             number: Annotated[str, typer.Option(help="the payer's authorization number")],
             code: Annotated[list[str], typer.Option(help="a CPT/HCPCS code covered (repeat)")],
             units: Annotated[int, typer.Option(min=1, help="units authorized")],
             start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
             end: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD")],
             note: Annotated[str, typer.Option(help="a note, at most 500 characters")] = "",
             ) -> None:
    """Record a payer's prior authorization for a patient."""
    _check_date(start, "--from")
    _check_date(end, "--to")
    show(_auth_rows([run(lambda c: c.billing.call(
        f"{AUTHORIZATIONS}/CreatePriorAuthorization", parent=account_name(account),
        prior_authorization={"payer_id": payer, "authorization_number": number,
                             "procedure_codes": code, "units_authorized": units,
                             "start_date": _day(start), "end_date": _day(end), "note": note},
    ).prior_authorization)])[0], key="name")


@auth_app.command("list")
def auth_list(account: Annotated[str, typer.Argument(help="account (patient) id; "
                                                          "default: every account")] = "-",
              payer: Annotated[str, typer.Option(help="only this payer's")] = "") -> None:
    """Prior authorizations, the soonest ending first, with the units left."""
    show(_auth_rows(run(lambda c: list(c.billing.pages(
        f"{AUTHORIZATIONS}/ListPriorAuthorizations", "prior_authorizations",
        parent=account_name(account), payer_id=payer)))),
        AUTH_COLUMNS, "prior authorizations", key="name")


@auth_app.command("void")
def auth_void(authorization: Annotated[str, typer.Argument(
        help="name, accounts/A/priorAuthorizations/P")],
              reason: Annotated[str, typer.Option(help="why (entered twice, revoked, ...)")],
              ) -> None:
    """Withdraw a prior authorization: it burns nothing more."""
    show(_auth_rows([run(lambda c: c.billing.call(
        f"{AUTHORIZATIONS}/VoidPriorAuthorization", name=authorization,
        reason=reason).prior_authorization)])[0], key="name")


@auth_app.command("expiring")
def auth_expiring(account: Annotated[str, typer.Option(help="one account (default: all)")] = "-",
                  units_left: Annotated[int, typer.Option(
                      min=0, help="at most this many units left")] = 2,
                  days: Annotated[int, typer.Option(min=0, help="ending within this many days")
                                  ] = 14,
                  as_of: Annotated[str, typer.Option(help="YYYY-MM-DD (today)")] = "") -> None:
    """Authorizations about to run out: few units left, or ending soon."""
    if as_of:
        _check_date(as_of, "--as-of")
    when = _day(as_of or dt.date.today().isoformat())
    show(_auth_rows(run(lambda c: list(c.billing.pages(
        f"{AUTHORIZATIONS}/ListExpiringPriorAuthorizations", "prior_authorizations",
        parent=account_name(account), as_of=when, units_remaining_at_most=units_left,
        ending_within_days=days)))),
        AUTH_COLUMNS, "about to run out", key="name")


@auth_app.command("bookings")
def auth_bookings(account: Annotated[str, typer.Option(help="one account (default: all)")] = "-",
                  as_of: Annotated[str, typer.Option(help="from this day, YYYY-MM-DD (today)")
                                   ] = "") -> None:
    """Upcoming bookings beyond the patient's prior authorization, the soonest first."""
    if as_of:
        _check_date(as_of, "--as-of")
    when = _day(as_of or dt.date.today().isoformat())
    show(run(lambda c: [_whole(b) for b in c.billing.pages(
        f"{AUTHORIZATIONS}/ListBookingsBeyondAuthorization", "bookings",
        parent=account_name(account), as_of=when)]),
        BOOKING_COLUMNS, "bookings beyond authorization", key="name")
