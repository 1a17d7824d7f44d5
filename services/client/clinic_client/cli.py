"""The `clinic` command: everyday jobs of the front desk, clinicians and ops.

Tables for people by default; ``clinic --json ...`` prints JSON for scripts,
``clinic -q ...`` only the id of what was made or found. Exit codes:

| code | meaning |
|---|---|
| 0 | done |
| 1 | an unexpected error (a bug: the message says what) |
| 2 | the command line was wrong (usage) |
| 3 | the service refused: the reason and the correlation id are printed |
| 4 | a service did not answer (unavailable, deadline exceeded) |
| 5 | not found |
| 6 | no token, or the token was refused (unauthenticated, permission denied) |

Scheduling's and billing's daily jobs (availability, appointments, the day view,
visit steps, charges, accounts, claims, remittances, reports) are in
``clinic_client.jobs``; a new group is a Typer app registered with ``app.add_typer``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import grpc
import typer
import typer.core
from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

from clinic_client import ops as ops_view
from clinic_client.calls import Refusal, Unreachable
from clinic_client.connection import Clinic, NoToken, Settings

OK, FAILED, USAGE, REFUSED, UNAVAILABLE, NOT_FOUND, UNAUTHENTICATED = 0, 1, 2, 3, 4, 5, 6
EXIT_BY_CODE = {"NOT_FOUND": NOT_FOUND, "UNAUTHENTICATED": UNAUTHENTICATED,
                "PERMISSION_DENIED": UNAUTHENTICATED, "UNAVAILABLE": UNAVAILABLE,
                "DEADLINE_EXCEEDED": UNAVAILABLE}
EXIT_NAMES = {FAILED: "FAILED", USAGE: "USAGE", REFUSED: "FAILED_PRECONDITION",
              UNAVAILABLE: "UNAVAILABLE", NOT_FOUND: "NOT_FOUND",
              UNAUTHENTICATED: "UNAUTHENTICATED"}

class _ByPanel(typer.core.TyperGroup):
    """Lists the commands panel by panel, in the order of ``PANELS``."""

    def list_commands(self, ctx) -> list[str]:
        order = [name for names in PANELS.values() for name in names]
        return sorted(super().list_commands(ctx),
                      key=lambda name: order.index(name) if name in order else len(order))


app = typer.Typer(help="Everyday jobs on the clinic services. Tables by default; --json for "
                       "scripts, -q for ids only. Exit codes: 0 done, 1 unexpected error, "
                       "2 usage, 3 refused, 4 no answer, 5 not found, 6 no token or not "
                       "allowed.", no_args_is_help=True, cls=_ByPanel,
                  pretty_exceptions_enable=False, add_completion=False)
out = Console()
err = Console(stderr=True)


class Output:
    json = False
    quiet = False


@app.callback()
def _options(as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
             quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                                 help="print only ids")] = False) -> None:
    Output.json, Output.quiet = as_json, quiet


def _dict(message: Message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _id(item: dict) -> str:
    for key in ("patient_id", "plan_id", "name", "location_id"):
        if item.get(key):
            return str(item[key])
    return ""


def show(result, columns: list[str] | None = None, title: str = "", key: str = "") -> None:
    """Print one message or a list of them (or plain dicts) as the output mode asks
    (``key``: the field ``-q`` prints, by default the first id it finds)."""
    many = isinstance(result, list | tuple)
    items = [r if isinstance(r, dict) else _dict(r) for r in (result if many else [result])]
    if Output.json:
        print(json.dumps(items if many else items[0], indent=1, default=str))
    elif Output.quiet:
        for item in items:
            print(str(item.get(key, "")) if key else _id(item))
    elif many:
        columns = columns or sorted({k for item in items for k in item})
        table = Table(*columns, title=title or None)
        for item in items:
            table.add_row(*(_text(item.get(c, "")) for c in columns))
        out.print(table)
    else:
        table = Table("field", "value", title=title or None, show_header=False)
        for key, value in items[0].items():
            table.add_row(key, _text(value))
        out.print(table)


def _text(value) -> str:
    if isinstance(value, dict) and {"year", "month", "day"} <= value.keys():
        return f"{value['year']:04d}-{value['month']:02d}-{value['day']:02d}"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def run(job):
    """Run ``job(clinic)``, turning refusals into plain words and exit codes."""
    try:
        with Clinic.from_environment() as clinic:
            return job(clinic)
    except NoToken as exc:
        _fail(UNAUTHENTICATED, str(exc))
    except Refusal as refusal:
        code = EXIT_BY_CODE.get(refusal.code, REFUSED)
        if isinstance(refusal, Unreachable):
            code = UNAVAILABLE
        _refused(refusal, code)


def _refused(refusal: Refusal, code: int) -> None:
    if Output.json:
        print(json.dumps({"error": {"code": refusal.code, "reason": refusal.reason,
                                    "message": refusal.message,
                                    "correlation_id": refusal.correlation_id,
                                    "fields": dict(refusal.field_violations)}}), file=sys.stderr)
        raise typer.Exit(code)
    words = {REFUSED: "refused", NOT_FOUND: "not found", UNAVAILABLE: "no answer",
             UNAUTHENTICATED: "not allowed"}[code]
    err.print(f"[bold red]{words}[/]: {refusal.message}", highlight=False)
    if refusal.reason:
        err.print(f"  reason: {refusal.reason}", highlight=False)
    for field, description in refusal.field_violations:
        err.print(f"  {field}: {description}", highlight=False)
    if refusal.correlation_id:
        err.print(f"  correlation id: {refusal.correlation_id}", highlight=False)
    raise typer.Exit(code)


def _fail(code: int, message: str) -> None:
    """Stop with ``code`` and a message on stderr (as JSON with ``--json``, as refusals are)."""
    if Output.json:
        print(json.dumps({"error": {"code": EXIT_NAMES.get(code, "FAILED"), "reason": "",
                                    "message": message, "correlation_id": "", "fields": {}}}),
              file=sys.stderr)
        raise typer.Exit(code)
    err.print(f"[bold red]error[/]: {message}", highlight=False)
    raise typer.Exit(code)


# --- token -------------------------------------------------------------------------------

token_app = typer.Typer(help="Tokens for local use (the embedded default's signing key).",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("issue")
def token_issue(sub: Annotated[str, typer.Option(help="your staff id")],
                role: Annotated[list[str], typer.Option(help="a role (repeat for several)")],
                location: Annotated[list[str], typer.Option(
                    help="a location you act at (repeat; '*' for all)")] = ["*"],  # noqa: B006
                ttl_hours: Annotated[float, typer.Option(help="lifetime in hours")] = 8.0,
                data_dir: Annotated[Path, typer.Option(
                    envvar="CLINIC_DATA_DIR", help="where make run keeps data/auth")] = Path("data"),
                ) -> None:
    """Print a token signed with the local key (<data dir>/auth/signing.jwk)."""
    from clinic_common.config import AuthSettings, load
    from clinic_common.identity import Role
    from clinic_common.tokens import TokenIssuer

    key = data_dir / "auth" / "signing.jwk"
    if not key.exists():
        _fail(USAGE, f"no signing key at {key}: start `make run` once, or give --data-dir")
    unknown = [r for r in role if r.upper() not in Role.__members__]
    if unknown:
        _fail(USAGE, f"unknown role {', '.join(unknown)}; one of {', '.join(Role.__members__)}")
    auth = load(AuthSettings)
    issuer = TokenIssuer(json.loads(key.read_text()), issuer=auth.issuer, audience=auth.audience)
    print(issuer.issue(sub, [Role[r.upper()] for r in role], location,
                       ttl=dt.timedelta(hours=ttl_hours)))


# --- intake ------------------------------------------------------------------------------

patient_app = typer.Typer(help="Register, find and show patients.", no_args_is_help=True)
app.add_typer(patient_app, name="patient")
PATIENT_COLUMNS = ["patient_id", "given_name", "family_name", "date_of_birth",
                   "preferred_location_id", "state"]


@patient_app.command("register")
def patient_register(given: Annotated[str, typer.Option(help="given name")],
                     family: Annotated[str, typer.Option(help="family name")],
                     born: Annotated[str, typer.Option(help="date of birth, YYYY-MM-DD")],
                     phone: Annotated[str, typer.Option(help="phone number")] = "",
                     email: Annotated[str, typer.Option(help="email address")] = "",
                     location: Annotated[str, typer.Option(help="preferred location id")] = "",
                     ) -> None:
    """Register a new patient."""
    _check_date(born, "--born")
    show(run(lambda c: c.intake.register_patient(
        given_name=given, family_name=family, date_of_birth=born, phone=phone, email=email,
        location=location)))


@patient_app.command("find")
def patient_find(name: Annotated[str, typer.Option(help="start of the family name")] = "",
                 phone: Annotated[str, typer.Option(help="phone number")] = "",
                 born: Annotated[str, typer.Option(help="date of birth, YYYY-MM-DD")] = "",
                 ) -> None:
    """Find patients by name, phone or date of birth."""
    if born:
        _check_date(born, "--born")
    show(run(lambda c: list(c.intake.find_patients(name_prefix=name, phone=phone,
                                                   date_of_birth=born))),
         PATIENT_COLUMNS, "patients")


@patient_app.command("show")
def patient_show(patient: Annotated[str, typer.Argument(help="patient id")]) -> None:
    """One patient's record."""
    show(run(lambda c: c.intake.get_patient(patient)))


def _check_date(value: str, option: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=option) from None


vitals_app = typer.Typer(help="A patient's weight and blood pressure (intake).",
                         no_args_is_help=True)
app.add_typer(vitals_app, name="vitals")


@vitals_app.command("record")
def vitals_record(patient: Annotated[str, typer.Argument(help="patient id")],
                  weight_kg: Annotated[float, typer.Option(help="weight in kg")] = 0.0,
                  bp: Annotated[str, typer.Option(help="blood pressure, e.g. 124/80")] = "",
                  location: Annotated[str, typer.Option(help="where measured (location id)")
                                      ] = "") -> None:
    """Record a patient's weight and blood pressure."""
    systolic, _, diastolic = bp.partition("/")
    if bp and not (systolic.isdigit() and diastolic.isdigit()):
        raise typer.BadParameter("give it as SYSTOLIC/DIASTOLIC, e.g. 124/80", param_hint="--bp")
    show(run(lambda c: c.intake.record_vitals(
        patient, weight_grams=round(weight_kg * 1000), systolic=int(systolic or 0),
        diastolic=int(diastolic or 0), location=location)))


screening_app = typer.Typer(help="Screening instruments (PHQ-9, GAD-7, PCL-5, pain NRS).",
                            no_args_is_help=True)
app.add_typer(screening_app, name="screening")


@screening_app.command("record")
def screening_record(patient: Annotated[str, typer.Argument(help="patient id")],
                     instrument: Annotated[str, typer.Option(help="e.g. PHQ-9")],
                     answers: Annotated[str, typer.Option(
                         help="item values in order, comma-separated: 1,2,0,...")]) -> None:
    """Record a screening; the service scores it and raises safety flags."""
    try:
        values = [int(v) for v in answers.split(",")]
    except ValueError:
        raise typer.BadParameter("give whole numbers separated by commas",
                                 param_hint="--answers") from None
    show(run(lambda c: c.intake.record_screening(patient, instrument, values)))


consent_app = typer.Typer(help="Signed consents (treatment forms, REMS).", no_args_is_help=True)
app.add_typer(consent_app, name="consent")


@consent_app.command("record")
def consent_record(patient: Annotated[str, typer.Argument(help="patient id")],
                   type: Annotated[str, typer.Option(  # noqa: A002 - the consent's type
                       help="ketamine_treatment, spravato_treatment, tms_treatment, ...")],
                   form_version: Annotated[str, typer.Option(help="the signed form's version")],
                   signed_by: Annotated[str, typer.Option(
                       help="who signed: patient, or a guardian's name")] = "patient") -> None:
    """Record a signed consent."""
    show(run(lambda c: c.intake.record_consent(patient, type, form_version=form_version,
                                               signed_by=signed_by)))


candidacy_app = typer.Typer(help="Contraindications and candidacy decisions.",
                            no_args_is_help=True)
app.add_typer(candidacy_app, name="candidacy")
MODALITY_HELP = "iv_ketamine, spravato or tms"


@candidacy_app.command("evaluate")
def candidacy_evaluate(patient: Annotated[str, typer.Argument(help="patient id")],
                       modality: Annotated[str, typer.Option(help=MODALITY_HELP)]) -> None:
    """Check a patient's record against a modality's contraindications."""
    show(run(lambda c: c.intake.evaluate(patient, modality)), title="findings")


@candidacy_app.command("decide")
def candidacy_decide(patient: Annotated[str, typer.Argument(help="patient id")],
                     modality: Annotated[str, typer.Option(help=MODALITY_HELP)],
                     outcome: Annotated[str, typer.Option(
                         help="cleared, not_a_candidate or needs_more_information")],
                     reason: Annotated[str, typer.Option(help="why")]) -> None:
    """Record the provider's candidacy decision."""
    show(run(lambda c: c.intake.decide(patient, modality, outcome, reason)))


plan_app = typer.Typer(help="Treatment plans: create one, show a patient's.",
                       no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("create")
def plan_create(patient: Annotated[str, typer.Argument(help="patient id")], modality: Annotated[str, typer.Option(help=MODALITY_HELP)],
                indication: Annotated[str, typer.Option(help="ICD-10-CM code, e.g. F33.2")],
                ) -> None:
    """Plan a course; the service works out the dose from the latest weight."""
    show(run(lambda c: c.intake.create_plan(patient, modality, indication)))


@plan_app.command("show")
def plan_show(patient: Annotated[str, typer.Argument(help="patient id")]) -> None:
    """A patient's treatment plans."""
    show(run(lambda c: list(c.intake.plans(patient))),
         ["plan_id", "modality", "indication_code", "state", "version"], "plans")


# --- locations and ops -------------------------------------------------------------------

location_app = typer.Typer(help="Locations (scheduling).", no_args_is_help=True)
app.add_typer(location_app, name="location")


@location_app.command("apply")
def location_apply(files: Annotated[list[Path], typer.Argument(
        exists=True, dir_okay=False, help="location files (YAML)")]
                   ) -> None:
    """Apply location files (deploy/locations/*.yaml), and the appointment types
    (deploy/appointment-types.yaml, applied first), through the scheduling API (ops)."""
    try:
        from clinic_scheduling.apply_locations import ApplyError, apply_files
        from clinic_scheduling.entrypoints.appointment_type_files import (
            AppointmentTypeFileError,
        )
        from clinic_scheduling.entrypoints.location_files import LocationFileError
    except ImportError:
        _fail(FAILED, "applying location files needs the scheduling package installed")
    settings = Settings.from_environment()
    try:
        lines = apply_files(settings.addresses["scheduling"], list(files), settings.bearer())
    except NoToken as exc:
        _fail(UNAUTHENTICATED, str(exc))
    except ApplyError as exc:
        if not isinstance(exc.__cause__, grpc.RpcError):
            _fail(REFUSED, str(exc))
        refusal = Refusal.from_error(exc.__cause__)
        refusal.message = str(exc)  # names the file (or the staff roster) it refused
        _refused(refusal, EXIT_BY_CODE.get(refusal.code, REFUSED))
    except (LocationFileError, AppointmentTypeFileError) as exc:
        _fail(REFUSED, str(exc))
    except grpc.RpcError as error:
        refusal = Refusal.from_error(error)
        _refused(refusal, EXIT_BY_CODE.get(refusal.code, REFUSED))
    show([{"location": line} for line in lines], ["location"], "applied")


@app.command("ops")
def ops(data_dir: Annotated[Path, typer.Option(envvar="CLINIC_DATA_DIR",
                                                help="where the status files are")] = Path("data"),
        ) -> None:
    """Each service's health, background workers, outbox backlog, consumer lag and dead
    letters. Exits 4 when a service is not SERVING or one of its workers stopped."""
    rows = ops_view.overview(Settings.from_environment(), data_dir, os.environ)
    show(rows, list(ops_view.COLUMNS), "services")
    if not all(r["health"] == "SERVING" and r["workers"] in (ops_view.ALL_RUNNING, "-")
               for r in rows):
        raise typer.Exit(UNAVAILABLE)


# Registers scheduling's and billing's commands, `clinic coverage`, `clinic waitlist` and
# `clinic audit`.
from clinic_client import audit_jobs, coverage_jobs, jobs, waitlist_jobs  # noqa: E402,F401

# `clinic --help` in panels, by who does the job; a group not named here goes under "Other".
PANELS = {
    "Front desk and intake": ("patient", "coverage", "vitals", "screening", "consent",
                              "candidacy", "plan"),
    "Scheduling and the visit": ("availability", "appointment", "series", "waitlist", "day",
                                 "visit"),
    "Billing": ("account", "charges", "claims", "authorizations", "remittance", "report",
                "prices", "fees", "provider"),
    "Ops and admin": ("location", "ops", "audit", "token"),
}
# Prior authorizations sit beside claims and charges; `clinic billing auth` and
# `clinic auth`, their earlier and short spellings, still work (hidden from the help).
app.add_typer(jobs.auth_app, name="authorizations",
              help="Payers' prior authorizations: add, list, expiring, void, bookings beyond "
                   "them (alias: auth; formerly `clinic billing auth`).")
app.add_typer(jobs.auth_app, name="auth", hidden=True)


def _arrange() -> None:
    panel_of = {name: panel for panel, names in PANELS.items() for name in names}
    for info in [*app.registered_groups, *app.registered_commands]:
        name = info.name if isinstance(info.name, str) else getattr(info.callback, "__name__", "")
        if name == "billing":
            info.hidden = True
        info.rich_help_panel = panel_of.get(name, "Other")


_arrange()


def main() -> None:
    """Click's standalone mode: a usage error exits 2, ``typer.Exit(n)`` exits n."""
    app()


if __name__ == "__main__":  # the jobs register on clinic_client.cli's app, not __main__'s
    from clinic_client.cli import main as registered_main

    registered_main()
