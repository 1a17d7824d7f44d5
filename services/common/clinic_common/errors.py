"""Refusals every service raises, each of a kind the API edge maps to a status code.

Domain packages subclass these (``class StaleWeight(FailedPrecondition)``) or
raise them directly with a reason. Nothing here imports gRPC: the domain says
what kind of refusal it is, and the error-mapping interceptor turns the kind
into a gRPC status with an ``ErrorInfo`` whose reason is UPPER_SNAKE_CASE.
"""

from __future__ import annotations

import datetime as dt
import enum


class Kind(enum.StrEnum):
    """What kind of refusal an error is; the names are gRPC's status code names."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"


class ClinicError(Exception):
    """An expected refusal: the caller gets ``kind`` with ``reason`` and ``message``."""

    kind: Kind = Kind.FAILED_PRECONDITION
    default_reason: str = "ERROR"
    # Set when the refusal may go away by itself soon (a consumer catching up with
    # another service's events): the caller gets a google.rpc.RetryInfo with this delay.
    retry_after: dt.timedelta | None = None

    def __init__(self, message: str, *, reason: str | None = None, **metadata: object):
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = {k: str(v) for k, v in metadata.items()}


class InvalidArgument(ClinicError):
    kind = Kind.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"


class NotFound(ClinicError):
    kind = Kind.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(ClinicError):
    kind = Kind.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(ClinicError):
    kind = Kind.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Aborted(ClinicError):
    """A concurrency conflict the caller may retry (a lost booking race)."""

    kind = Kind.ABORTED
    default_reason = "ABORTED"


class PermissionDenied(ClinicError):
    kind = Kind.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(ClinicError):
    kind = Kind.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class ResourceExhausted(ClinicError):
    kind = Kind.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(ClinicError):
    kind = Kind.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class FieldViolation(InvalidArgument):
    """Malformed input in one named field."""

    def __init__(self, field: str, message: str, *, reason: str = "INVALID_FIELD"):
        super().__init__(f"{field}: {message}", reason=reason, field=field)
        self.field = field
