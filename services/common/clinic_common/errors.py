"""Error kinds every service raises, each tied to one gRPC status code.

Domain packages subclass these (``class StaleWeight(FailedPrecondition)``) or
raise them directly with a reason. The error-mapping interceptor turns them into
a ``google.rpc.Status`` with an ``ErrorInfo`` whose reason is UPPER_SNAKE_CASE.
Nothing here knows a domain.
"""

from __future__ import annotations

import grpc


class ClinicError(Exception):
    """An expected refusal: the caller gets ``code`` with ``reason`` and ``message``."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    default_reason: str = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, **metadata: object):
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = {k: str(v) for k, v in metadata.items()}


class InvalidArgument(ClinicError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"


class NotFound(ClinicError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(ClinicError):
    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(ClinicError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Aborted(ClinicError):
    """A concurrency conflict the caller may retry (a lost booking race)."""

    code = grpc.StatusCode.ABORTED
    default_reason = "ABORTED"


class PermissionDenied(ClinicError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(ClinicError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class Unavailable(ClinicError):
    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class FieldViolation(InvalidArgument):
    """Malformed input in one named field."""

    def __init__(self, field: str, message: str, *, reason: str = "INVALID_FIELD"):
        super().__init__(f"{field}: {message}", reason=reason, field=field)
        self.field = field
