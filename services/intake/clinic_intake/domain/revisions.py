"""Kept versions of intake records: what each held, who changed it, when and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Revision:
    """One version of a record, kept when the record is written."""

    record_type: str
    record_id: str
    revision: int
    snapshot: dict
    changed_fields: list[str] = field(default_factory=list)
    changed_by: str = ""
    reason: str = ""
    changed_at: dt.datetime = field(kw_only=True)


def changed_fields(before: dict, after: dict) -> list[str]:
    """Names of the top-level fields whose values differ between two snapshots."""
    return sorted(k for k in after if before.get(k) != after.get(k))
