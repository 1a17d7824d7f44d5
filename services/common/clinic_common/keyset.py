"""Keyset pages over SQL queries: ordered by columns, continued after the last row's key.

Repositories of every service page this way; the API edge turns the key into a
page token (:mod:`clinic_common.paging`) and back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from clinic_common.errors import FieldViolation

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
    if value is None:
        raise ValueError("no key part may be empty")
    if kind in (dt.date, dt.datetime):
        if not isinstance(value, str):
            raise TypeError("dates are written as text")
        parsed = kind.fromisoformat(value)
        if isinstance(parsed, dt.datetime) and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError("expected a whole number")
    if kind is str and not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _bad_token() -> FieldViolation:
    return FieldViolation("page_token", "is not a token for this list",
                          reason="INVALID_PAGE_TOKEN")


def _decoded(columns, key) -> list:
    if not isinstance(key, list) or len(key) != len(columns):
        raise _bad_token()
    try:
        return [_from_json(v, c.expression) for v, c in zip(key, columns, strict=True)]
    except (TypeError, ValueError, NotImplementedError):
        raise _bad_token() from None


def _after(columns, key: list, descending: bool):
    """Rows strictly after ``key`` in the order of ``columns``."""
    values = _decoded(columns, key)
    terms = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        terms.append(and_(*equal, beyond))
    return or_(*terms)


def fetch(session: Session, query, columns: list, after: list | None, limit: int, *,
          descending: bool = False, scalars: bool = True) -> Page:
    """One page of ``query`` ordered by ``columns`` (mapped attributes or table columns),
    after ``after``; ``scalars=False`` pages over rows of a Core select."""
    if after is not None:
        query = query.where(_after(columns, after, descending))
    order = [c.desc() for c in columns] if descending else columns
    query = query.order_by(*order).limit(limit + 1)
    rows = list(session.scalars(query) if scalars else session.execute(query))
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], [_to_json(getattr(last, c.key)) for c in columns])
