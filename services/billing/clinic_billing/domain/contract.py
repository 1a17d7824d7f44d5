"""Payers' contracted allowed amounts: per payer, procedure code and modifier, effective-dated."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from clinic_billing.domain import errors

MODIFIER = re.compile(r"[A-Z0-9]{2}")


@dataclass
class ContractedRate:
    """What ``payer_id`` allows per unit of ``procedure_code`` (with ``modifier``, '' for a line
    without one) for dates of service from ``effective_from`` to ``effective_to`` (open ends)."""

    rate_id: str
    payer_id: str
    procedure_code: str
    allowed_cents: int
    modifier: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    updated_at: dt.datetime | None = field(default=None, kw_only=True)
    updated_by: str = field(default="", kw_only=True)

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        if self.allowed_cents < 0:
            raise errors.field("rate.allowed_cents", "must not be negative")
        if self.modifier and not MODIFIER.fullmatch(self.modifier):
            raise errors.field("rate.modifier", "is two letters or digits, such as 'JZ'")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise errors.field("rate.effective_to", "is before effective_from")

    def in_force(self, day: dt.date) -> bool:
        return ((self.effective_from is None or self.effective_from <= day)
                and (self.effective_to is None or day <= self.effective_to))

    def overlaps(self, other: ContractedRate) -> bool:
        """Whether both price the same payer, code and modifier on some day."""
        if (self.payer_id, self.procedure_code, self.modifier) != \
                (other.payer_id, other.procedure_code, other.modifier) or \
                self.rate_id == other.rate_id:
            return False
        starts_before_other_ends = other.effective_to is None or self.effective_from is None \
            or self.effective_from <= other.effective_to
        ends_after_other_starts = self.effective_to is None or other.effective_from is None \
            or other.effective_from <= self.effective_to
        return starts_before_other_ends and ends_after_other_starts


def ensure_no_overlap(rate: ContractedRate, others: Iterable[ContractedRate]) -> None:
    for other in others:
        if rate.overlaps(other):
            raise errors.RatePeriodOverlaps(rate.payer_id, rate.procedure_code, rate.modifier,
                                            other.rate_id)


def allowed_per_unit(rates: Iterable[ContractedRate], payer_id: str, modifiers: Iterable[str],
                     day: dt.date | None) -> int:
    """The contracted amount per unit for a line: the rate of its first modifier that has
    one, else the rate without modifier; 0 without a contract in force on ``day``."""
    in_force = {r.modifier: r.allowed_cents for r in rates
                if r.payer_id == payer_id and (day is None or r.in_force(day))}
    for modifier in [*modifiers, ""]:
        if modifier in in_force:
            return in_force[modifier]
    return 0
