"""Keyset pages over SQL queries: ordered by columns, continued after the last row's key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

from clinic_common.errors import FieldViolation
from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """Rows of one page, and the key to continue after (None on the last page)."""

    items: list[T]
    next_key: list | None


def _to_json(value):
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _from_json(value, column):
    kind = column.type.python_type
    if value is not None and kind in (dt.date, dt.datetime) and isinstance(value, str):
        return kind.fromisoformat(value)
    return value


def _bad_token() -> FieldViolation:
    return FieldViolation("page_token", "is not a token for this list",
                          reason="INVALID_PAGE_TOKEN")


def _decoded(columns, key) -> list:
    if not isinstance(key, list) or len(key) != len(columns):
        raise _bad_token()
    try:
        return [_from_json(v, c.expression) for v, c in zip(key, columns, strict=True)]
    except (TypeError, ValueError):
        raise _bad_token() from None


def _after(columns, key: list):
    """Rows strictly after ``key`` in ascending order of ``columns``."""
    values = _decoded(columns, key)
    terms = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        terms.append(and_(*equal, column > values[i]))
    return or_(*terms)


def fetch(session: Session, query, columns: list, after: list | None, limit: int) -> Page:
    """One page of ``query`` ordered by ``columns`` (mapped attributes), after ``after``."""
    if after is not None:
        query = query.where(_after(columns, after))
    rows = list(session.scalars(query.order_by(*columns).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], [_to_json(getattr(last, c.key)) for c in columns])
