"""Conversions between protobuf well-known/common types and Python values."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp

from clinic_common.errors import FieldViolation


def to_date(message, field: str, *, required: bool = True) -> dt.date | None:
    """A clinic.common.v1.Date field as a date; all-zero means unset."""
    if message is None or (message.year, message.month, message.day) == (0, 0, 0):
        if required:
            raise FieldViolation(field, "is required")
        return None
    try:
        return dt.date(message.year, message.month, message.day)
    except ValueError as exc:
        raise FieldViolation(field, f"is not a calendar date: {exc}") from None


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
    if not stamp.seconds and not stamp.nanos:
        if required:
            raise FieldViolation(field, "is required")
        return None
    return stamp.ToDatetime(tzinfo=dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """A datetime read back from a database, with its zone (SQLite drops it)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
