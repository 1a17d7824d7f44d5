"""Conversions between protobuf well-known/common types, enums and Python values."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp

from clinic_common.errors import FieldViolation

# Timestamps a request may carry: the years a clinic's records can speak of.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def to_date(message, field: str, *, required: bool = True) -> dt.date | None:
    """A clinic.common.v1.Date field as a date; all-zero means unset."""
    if message is None or (message.year, message.month, message.day) == (0, 0, 0):
        if required:
            raise FieldViolation(field, "is required")
        return None
    try:
        return dt.date(message.year, message.month, message.day)
    except (ValueError, OverflowError):
        raise FieldViolation(field, "is not a calendar date") from None


def fill_date(target, value: dt.date | None) -> None:
    if value is not None:
        target.year, target.month, target.day = value.year, value.month, value.day


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_timestamp(stamp: Timestamp, field: str, *, required: bool = True) -> dt.datetime | None:
    """A Timestamp field as an aware UTC datetime; unset is None (or refused when required),
    and a value outside 1900-2200 or with invalid nanos is refused."""
    if not stamp.seconds and not stamp.nanos:
        if required:
            raise FieldViolation(field, "is required")
        return None
    if not 0 <= stamp.nanos < 1_000_000_000 or \
            not EARLIEST.timestamp() <= stamp.seconds < LATEST.timestamp():
        raise FieldViolation(field, "is not a time between 1900 and 2200")
    return stamp.ToDatetime(tzinfo=dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """A datetime read back from a database, with its zone (SQLite drops it)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class EnumMap:
    """A proto enum and the domain's names for its values: ``MODALITY_TMS`` <-> ``"TMS"``.

    The zero value (``X_UNSPECIFIED``) is the domain's "" (not given).
    """

    def __init__(self, enum_type, prefix: str | None = None):
        self.enum_type = enum_type
        self.prefix = prefix if prefix is not None else \
            enum_type.DESCRIPTOR.values[0].name.removesuffix("UNSPECIFIED")

    def to_domain(self, value: int, field: str) -> str:
        try:
            name = self.enum_type.Name(value)
        except ValueError:
            raise FieldViolation(field, f"{value} is not a known value; known: "
                                 f"{', '.join(self.names())}") from None
        return "" if value == 0 else name.removeprefix(self.prefix)

    def to_proto(self, name: str) -> int:
        return self.enum_type.Value(f"{self.prefix}{name}") if name else 0

    def names(self) -> list[str]:
        return [v.name.removeprefix(self.prefix) for v in self.enum_type.DESCRIPTOR.values
                if v.number != 0]

    def lenient(self, value: int) -> str:
        """The domain name of a value from an event: a value newer than this build reads as
        ``UNKNOWN_<n>`` instead of failing."""
        try:
            return self.to_domain(value, "value")
        except FieldViolation:
            return f"UNKNOWN_{value}"
