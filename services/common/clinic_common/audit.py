"""The PHI audit trail: who read or changed which patient's data, when, and how it ended.

The access interceptor opens an :class:`AuditTrail` for every call of a method
that touches patient data (and for every refused call). Patients enter it from
the request, from the change itself (:func:`concerns`) and from the response.
Rows are written:

- for a change, by the unit of work in the same transaction as the change
  (:func:`write_pending` before commit), so a change without its audit row
  cannot exist;
- for a read, after the handler and before the response leaves; when that
  write fails the caller gets UNAVAILABLE instead of the data;
- for a refusal, after the handler, in a transaction of its own.

The table is append-only: the migration installs triggers that refuse UPDATE
and DELETE on both databases.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from clinic_common import keyset
from clinic_common.identity import Principal

log = logging.getLogger(__name__)

OK = "OK"
def patient_names(*collections: str) -> tuple[re.Pattern, ...]:
    """Patterns of resource names whose first id is a patient's: ``patients/{patient}/...``
    and, for a service that names its records after the patient, its own collections."""
    return tuple(re.compile(rf"{re.escape(c)}/([A-Za-z0-9_.-]{{1,64}})(?:/.*)?", re.DOTALL)
                 for c in collections)


PATIENT_NAMES = patient_names("patients")
PATIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Request fields that address a resource, in the order the addressed record is looked for.
ADDRESS_FIELDS = ("name", "parent", "record")
MAX_SUBJECTS = 1000


@dataclass
class AuditTrail:
    """What one call has to account for: who, which method, which patients."""

    principal: Principal
    method: str
    correlation_id: str
    client_address: str
    clock: Callable[[], dt.datetime]
    location_id: str = ""
    record: str = ""  # the resource the request addressed
    subjects: dict[str, str] = field(default_factory=dict)  # patient id -> record
    # (patient id or "", outcome) of the rows stored so far.
    written: set[tuple[str, str]] = field(default_factory=set)

    def add(self, patient_id: str, record: str = "") -> None:
        """Note a patient the call speaks of; a value that is no id is not a patient."""
        if PATIENT_ID.fullmatch(patient_id or "") and patient_id not in self.subjects and \
                len(self.subjects) < MAX_SUBJECTS:
            self.subjects[patient_id] = record[:255] or self.record

    def pending(self, outcome: str, reason: str = "") -> tuple[list[dict], set]:
        """The rows an outcome still needs (one per patient, or one without a patient when
        the call named none), and their keys for :meth:`stored` once they are."""
        keys = [(p, outcome) for p in self.subjects if (p, outcome) not in self.written]
        if not self.subjects and ("", outcome) not in self.written:
            keys = [("", outcome)]
        now = self.clock()
        rows = [self._row(p, self.subjects.get(p, self.record), outcome, reason, now)
                for p, _ in keys]
        return rows, set(keys)

    def stored(self, keys: set) -> None:
        self.written |= keys

    def _row(self, patient_id: str, record: str, outcome: str, reason: str,
             now: dt.datetime) -> dict:
        p = self.principal
        return {"occurred_at": now, "actor": p.subject, "actor_roles": p.role_names[:255],
                "location_id": self.location_id[:64], "method": self.method[:255],
                "patient_id": patient_id, "record": record[:255], "outcome": outcome,
                "reason": reason[:128], "correlation_id": self.correlation_id[:64],
                "client_address": self.client_address[:255], "token_id": p.token_id[:64]}


_trail: contextvars.ContextVar[AuditTrail | None] = contextvars.ContextVar(
    "audit_trail", default=None)


def current_trail() -> AuditTrail | None:
    return _trail.get()


@contextmanager
def recording(trail: AuditTrail) -> Iterator[AuditTrail]:
    token = _trail.set(trail)
    try:
        yield trail
    finally:
        _trail.reset(token)


def concerns(patient_id: str, record: str = "") -> None:
    """Note that the change or read in progress is about this patient (no-op outside a call)."""
    trail = _trail.get()
    if trail is not None:
        trail.add(patient_id, record)


def write_pending(session: Session, table: Table | None) -> Callable[[], None]:
    """Write the call's rows in the caller's transaction, so a change commits with them.
    Returns what to call once the transaction committed."""
    trail = _trail.get()
    if trail is None or table is None:
        return lambda: None
    rows, keys = trail.pending(OK)
    if rows:
        session.execute(insert(table), rows)
    return lambda: trail.stored(keys)


# Reading the request and response --------------------------------------------------------

def addressed(request: Message) -> str:
    """The resource name a request addresses: its name, its parent, or a nested name."""
    fields = request.DESCRIPTOR.fields_by_name
    for name in ADDRESS_FIELDS:
        if name in fields and fields[name].type == FieldDescriptor.TYPE_STRING:
            value = getattr(request, name)
            if value:
                return value
    for fd, value in request.ListFields():
        if fd.type == FieldDescriptor.TYPE_MESSAGE and not fd.is_repeated and \
                "name" in fd.message_type.fields_by_name and \
                fd.message_type.fields_by_name["name"].type == FieldDescriptor.TYPE_STRING and \
                value.name:
            return value.name
    return ""


def subjects_in(message: Message, patient_names=PATIENT_NAMES) -> list[tuple[str, str]]:
    """(patient id, record name) pairs a message speaks of: resource names whose first id is
    a patient's (``patient_names``), and ``patient_id`` fields with the name of the message
    that holds them."""
    found: list[tuple[str, str]] = []
    _walk(message, found, patient_names, depth=0)
    return found


def _walk(message: Message, found: list, patient_names, depth: int) -> None:
    if depth > 12 or len(found) >= MAX_SUBJECTS:
        return
    own_name = patient_id = ""
    for fd, value in message.ListFields():
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            for item in (value.values() if _is_map(fd) else value) if fd.is_repeated else [value]:
                if isinstance(item, Message):
                    _walk(item, found, patient_names, depth + 1)
        elif fd.type == FieldDescriptor.TYPE_STRING and not fd.is_repeated:
            if fd.name == "patient_id":
                patient_id = value
            elif fd.name == "name":
                own_name = value
            if fd.name in ADDRESS_FIELDS or fd.name == "patient" or fd.name.endswith("_patient"):
                for pattern in patient_names:
                    match = pattern.fullmatch(value)
                    if match:
                        found.append((match.group(1), value))
                        break
    if patient_id:
        found.append((patient_id, own_name))


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.message_type is not None and fd.message_type.GetOptions().map_entry


# Storage ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditQuery:
    patient_id: str = ""
    actor: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None


class AuditLog:
    """The service's audit table: rows written in their own transaction, and queries."""

    def __init__(self, session_factory: sessionmaker, table: Table,
                 patient_names: tuple[re.Pattern, ...] = PATIENT_NAMES):
        self.session_factory = session_factory
        self.table = table
        # The resource names whose first id is a patient's, in this service.
        self.patient_names = patient_names

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        with self.session_factory() as session:
            session.execute(insert(self.table), rows)
            session.commit()

    def record(self, trail: AuditTrail, outcome: str, reason: str = "") -> None:
        """Store the rows ``outcome`` still needs, in a transaction of their own."""
        rows, keys = trail.pending(outcome, reason)
        self.write(rows)
        trail.stored(keys)

    def page(self, query: AuditQuery, *, limit: int, after: list | None) -> keyset.Page:
        t = self.table
        stmt = select(t)
        if query.patient_id:
            stmt = stmt.where(t.c.patient_id == query.patient_id)
        if query.actor:
            stmt = stmt.where(t.c.actor == query.actor)
        if query.start:
            stmt = stmt.where(t.c.occurred_at >= query.start)
        if query.end:
            stmt = stmt.where(t.c.occurred_at < query.end)
        with self.session_factory() as session:
            return keyset.fetch(session, stmt, [t.c.occurred_at, t.c.id], after, limit,
                                descending=True, scalars=False)
