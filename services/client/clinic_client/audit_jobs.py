"""`clinic audit list`: who read or changed which patient's data, from each service's
audit trail (``clinic.audit.v1.AuditService/ListAuditEvents``; admins only).

Each service keeps its own trail; by default the three are asked and their events
shown together, newest first, each with the service that recorded it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from clinic_client.cli import _dict, app, run, show
from clinic_client.connection import PORTS
from clinic_client.jobs import _time

AUDIT = "clinic.audit.v1.AuditService/ListAuditEvents"
COLUMNS = ["service", "occur_time", "actor", "method", "patient_id", "record", "outcome",
           "reason", "correlation_id"]

audit_app = typer.Typer(help="The audit trail: who read or changed which patient's data "
                             "(admins).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("list")
def audit_list(
        patient: Annotated[str, typer.Option(help="only events about this patient id")] = "",
        actor: Annotated[str, typer.Option(
            help="only events by this staff id (or service:<name>)")] = "",
        start: Annotated[str, typer.Option(
            "--from", help="at or after this time, with its offset (2026-11-01T00:00:00Z)")] = "",
        end: Annotated[str, typer.Option("--to", help="before this time, with its offset")] = "",
        service: Annotated[list[str], typer.Option(
            help="intake, scheduling or billing (repeat; default: all three)")] = [],  # noqa: B006
        limit: Annotated[int, typer.Option(min=1, help="at most this many events")] = 100,
        ) -> None:
    """Audit events, newest first, from each service's trail."""
    unknown = [s for s in service if s not in PORTS]
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: one of {', '.join(PORTS)}",
                                 param_hint="--service")
    fields: dict = {"patient_id": patient, "actor": actor}
    if start:
        fields["start_time"] = _time(start, "--from")
    if end:
        fields["end_time"] = _time(end, "--to")

    def listing(c):
        rows = []
        for name in service or list(PORTS):
            events = getattr(c, name).pages(AUDIT, "events", page_size=min(limit, 500),
                                            **fields)
            for count, event in enumerate(events):
                if count >= limit:
                    break
                when = (event.occur_time.seconds, event.occur_time.nanos)
                rows.append((when, {"service": name, **_dict(event)}))
        rows.sort(key=lambda pair: pair[0], reverse=True)
        return [row for _, row in rows[:limit]]

    show(run(listing), COLUMNS, "audit events", key="correlation_id")
