"""The one path from a call (or an event) to a committed transaction.

A use case is a function of a unit of work and a :class:`Change` (when, who,
and what it concerns). The :class:`Runner` opens the unit of work, applies the
client's request id (AIP-155: a retry returns the first result and changes
nothing), commits together with the call's audit rows, and turns integrity and
concurrency conflicts into the winner's result or ABORTED. The clock is
injected: no service reads the wall clock itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from clinic_common import audit, identity
from clinic_common.clock import Clock, system_clock
from clinic_common.errors import Aborted, ClinicError, FieldViolation, Unavailable
from clinic_common.unit_of_work import SqlUnitOfWork

U = TypeVar("U", bound=SqlUnitOfWork)
T = TypeVar("T")

log = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"[!-~]{1,128}")
# Database errors that mean another transaction got there first.
CONFLICTS = (IntegrityError, StaleDataError)


@dataclass(frozen=True)
class RequestKey:
    """A client's request id and a digest of the rest of its request."""

    request_id: str = ""
    fingerprint: str = ""

    @classmethod
    def of(cls, request: Message, field: str = "request_id") -> RequestKey:
        """The key of a mutating request; an empty one when it carries no request id."""
        request_id = getattr(request, field, "") if field in request.DESCRIPTOR.fields_by_name \
            else ""
        if not request_id:
            return cls()
        if not REQUEST_ID.fullmatch(request_id):
            raise FieldViolation(field, "must be 1-128 printable ASCII characters, no spaces")
        return cls(request_id, fingerprint(request, field))


NO_KEY = RequestKey()


def fingerprint(request: Message, request_id_field: str = "request_id") -> str:
    """A digest of a request without its request id, to tell a retry from a reuse."""
    copy = type(request)()
    copy.CopyFrom(request)
    if request_id_field in copy.DESCRIPTOR.fields_by_name:
        copy.ClearField(request_id_field)
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


@dataclass(frozen=True)
class Change:
    """What a use case knows besides its command: the time, and who acts."""

    now: dt.datetime
    actor: str

    @staticmethod
    def concerns(patient_id: str, record: str = "") -> None:
        """Says which patient the change is about, for the audit trail of the call."""
        audit.concerns(patient_id, record)


RACE_ATTEMPTS = 3  # a change that loses a race runs again, this many times in all


class Runner(Generic[U]):
    """Runs use cases of one service in its units of work."""

    def __init__(self, uow: Callable[[], U], clock: Clock = system_clock):
        self.uow = uow
        self.clock = clock

    def change_context(self) -> Change:
        return Change(now=self.clock(), actor=identity.actor_id())

    def change(self, method: str, key: RequestKey, action: Callable[[U, Change], str]) -> str:
        """Run ``action`` once and commit; returns what it returned (an id).

        With a request id, a repeat returns the first result without running
        ``action``; a concurrent repeat that loses a race (on the request log, an
        exclusion constraint, or a check that saw the winner's row) gets the
        winner's result too.
        """
        return self.change_and_read(method, key, action, None)[0]

    def change_and_read(self, method: str, key: RequestKey, action: Callable[[U, Change], str],
                        present: Callable[[U, str], T] | None) -> tuple[str, T | None]:
        """As :meth:`change`, and also ``present(uow, result)``: the change's outcome as the
        caller will show it, read in the change's own transaction (a repeat reads it anew)."""
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                return self._change_once(method, key, action, present)
            except _LostRace:
                if attempt == RACE_ATTEMPTS:
                    raise Aborted("the change collided with another; retry",
                                  reason="CONCURRENT_CHANGE") from None
                time.sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311 - jitter only
        raise AssertionError("unreachable")

    def _change_once(self, method: str, key: RequestKey, action: Callable[[U, Change], str],
                     present: Callable[[U, str], T] | None) -> tuple[str, T | None]:
        try:
            return self._change(method, key, action, present)
        except ClinicError:
            if (prior := self._winner(method, key)) is not None:
                return prior, self._present(present, prior)
            raise
        except CONFLICTS as exc:
            if (prior := self._winner(method, key)) is not None:
                return prior, self._present(present, prior)
            log.info("a change lost a race", extra={
                "method": method, "error": type(exc).__name__,
                "constraint": getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
                if hasattr(exc, "orig") else None})
            raise _LostRace() from None
        except (OperationalError, InterfaceError) as exc:
            if _is_serialization_failure(exc):
                log.info("a change lost a race", extra={
                    "method": method, "error": type(exc).__name__,
                    "sqlstate": getattr(exc.orig, "sqlstate", None)})
                raise _LostRace() from None
            raise _unavailable(exc) from None

    def _change(self, method: str, key: RequestKey, action: Callable[[U, Change], str],
                present: Callable[[U, str], T] | None) -> tuple[str, T | None]:
        with self.uow() as uow:
            if key.request_id:
                prior = uow.prior_result(method, key.request_id, key.fingerprint)
                if prior is not None:
                    return prior, present(uow, prior) if present else None
            result = action(uow, self.change_context())
            if key.request_id:
                uow.record_result(method, key.request_id, key.fingerprint, result)
            shown = present(uow, result) if present else None
            uow.commit()
            return result, shown

    def _present(self, present: Callable[[U, str], T] | None, result: str) -> T | None:
        return self.read(lambda uow: present(uow, result)) if present else None

    def _winner(self, method: str, key: RequestKey) -> str | None:
        if not key.request_id:
            return None
        try:
            with self.uow() as uow:
                return uow.prior_result(method, key.request_id, key.fingerprint)
        except (OperationalError, InterfaceError):
            return None  # the refusal in hand stands

    def read(self, query: Callable[[U], T]) -> T:
        """Run a query in a unit of work of its own; nothing is committed."""
        try:
            with self.uow() as uow:
                return query(uow)
        except (OperationalError, InterfaceError) as exc:
            raise _unavailable(exc) from None


class _LostRace(Exception):
    """The transaction collided with a concurrent one (a unique or exclusion constraint, a
    deadlock, a serialization failure) and was rolled back; running it again sees the other
    one's outcome, so the caller gets the real answer rather than "retry"."""


def _unavailable(exc: Exception) -> Unavailable:
    """The database is down or busy: a retry may succeed; nothing was changed."""
    log.warning("database unavailable", extra={"error": type(exc.orig or exc).__name__})
    return Unavailable("the database is unavailable; retry", reason="DATABASE_UNAVAILABLE")


def _is_serialization_failure(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")
