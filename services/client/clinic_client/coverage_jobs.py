"""`clinic coverage`: a patient's insurance coverages, recorded at the front desk in intake
(``clinic.intake.v1.CoverageService``; front desk, billing and admins).

Billing learns of a coverage from intake's events: a visit on a day a coverage is in
force is charged to its payer, and those charges become a claim (`clinic claims`).
A coverage is given as its name (``patients/P/coverages/C``) or its id with ``--patient``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from clinic_client.cli import _check_date, app, run, show
from clinic_client.intake import PLAN_TYPES, RELATIONSHIPS, coverage_name
from clinic_client.jobs import _whole

COLUMNS = ["coverage_id", "priority", "payer_id", "payer_name", "member_id", "group_number",
           "plan_type", "subscriber_relationship", "effective_date", "end_date", "ended"]

coverage_app = typer.Typer(help="Insurance coverages (intake): add, list, show, end.",
                           no_args_is_help=True)
app.add_typer(coverage_app, name="coverage")


def _row(coverage) -> dict:
    """Every field (priority, ended false), enums in a word: PPO, SELF."""
    row = _whole(coverage)
    row["plan_type"] = row.get("plan_type", "").removeprefix("PLAN_TYPE_")
    row["subscriber_relationship"] = row.get("subscriber_relationship", "").removeprefix(
        "SUBSCRIBER_RELATIONSHIP_")
    for key in ("end_date", "subscriber_date_of_birth"):
        if not coverage.HasField(key):
            row[key] = ""
    return row


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value.lower() not in choices:
        raise typer.BadParameter(f"{value!r}: one of {', '.join(choices)}", param_hint=option)
    return value.lower()


def _name(coverage: str, patient: str) -> str:
    try:
        return coverage_name(coverage, patient)
    except ValueError:
        raise typer.BadParameter("give the full name patients/PATIENT/coverages/ID, or "
                                 "--patient", param_hint="COVERAGE") from None


@coverage_app.command("add")
def coverage_add(
        patient: Annotated[str, typer.Argument(help="patient id")],
        payer_id: Annotated[str, typer.Option(help="the payer's id (its EDI payer id)")],
        member_id: Annotated[str, typer.Option(help="the member id on the card")],
        payer_name: Annotated[str, typer.Option(help="the payer's name on the card")] = "",
        group: Annotated[str, typer.Option(help="the group number on the card")] = "",
        plan_type: Annotated[str, typer.Option(help=", ".join(PLAN_TYPES))] = "",
        priority: Annotated[int, typer.Option(
            min=1, max=3, help="1 primary, 2 secondary, 3 tertiary")] = 1,
        start: Annotated[str, typer.Option("--from", help="first day in force, YYYY-MM-DD "
                                                          "(today)")] = "",
        end: Annotated[str, typer.Option("--to", help="last day in force, if known")] = "",
        relationship: Annotated[str, typer.Option(
            "--subscriber-relationship", help="the subscriber is the patient (self), or the "
                                              "patient's spouse, parent (child) or other")
                                ] = "self",
        subscriber_name: Annotated[str, typer.Option(
            help="the subscriber's full name, when not the patient")] = "",
        subscriber_born: Annotated[str, typer.Option(
            help="the subscriber's date of birth, when not the patient")] = "",
        ) -> None:
    """Record a patient's insurance coverage from the card. Refused: COVERAGE_EXISTS (the
    same card already in force), COVERAGE_PRIORITY_TAKEN (end the other one first)."""
    relationship = _choice(relationship, RELATIONSHIPS, "--subscriber-relationship")
    if plan_type:
        plan_type = _choice(plan_type, PLAN_TYPES, "--plan-type")
    for value, option in ((start, "--from"), (end, "--to"), (subscriber_born,
                                                             "--subscriber-born")):
        if value:
            _check_date(value, option)
    first = start or dt.date.today().isoformat()
    show(_row(run(lambda c: c.intake.add_coverage(
        patient, payer_id=payer_id, member_id=member_id, effective_date=first,
        priority=priority, relationship=relationship, payer_name=payer_name,
        group_number=group, plan_type=plan_type, end_date=end or None,
        subscriber_name=subscriber_name, subscriber_date_of_birth=subscriber_born or None))),
        title="coverage recorded", key="name")


@coverage_app.command("list")
def coverage_list(
        patient: Annotated[str, typer.Argument(help="patient id")],
        on: Annotated[str, typer.Option(
            help="only those in force on this day, YYYY-MM-DD, in the order payers are "
                 "billed")] = "",
        ) -> None:
    """A patient's coverages, by priority then effective date (ended ones too)."""
    if on:
        _check_date(on, "--on")
    show(run(lambda c: [_row(x) for x in c.intake.coverages(patient, on=on or None)]),
         COLUMNS, f"coverages of {patient}" + (f" in force on {on}" if on else ""), key="name")


@coverage_app.command("show")
def coverage_show(
        coverage: Annotated[str, typer.Argument(
            help="the coverage's name patients/PATIENT/coverages/ID, or its id with --patient")],
        patient: Annotated[str, typer.Option(help="the patient, with a bare id")] = "",
        ) -> None:
    """One coverage with every field."""
    name = _name(coverage, patient)
    show(_row(run(lambda c: c.intake.get_coverage(name))), title=name, key="name")


@coverage_app.command("end")
def coverage_end(
        coverage: Annotated[str, typer.Argument(
            help="the coverage's name patients/PATIENT/coverages/ID, or its id with --patient")],
        on: Annotated[str, typer.Option(help="its last day in force, YYYY-MM-DD")],
        patient: Annotated[str, typer.Option(help="the patient, with a bare id")] = "",
        ) -> None:
    """End a coverage on a day (its last day in force); the earlier revision is kept.
    Refused: COVERAGE_ALREADY_ENDED, END_BEFORE_EFFECTIVE_DATE, END_AFTER_KNOWN_END_DATE."""
    _check_date(on, "--on")
    name = _name(coverage, patient)
    show(_row(run(lambda c: c.intake.end_coverage(name, on))), title="coverage ended",
         key="name")
