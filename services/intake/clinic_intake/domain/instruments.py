"""Screening instruments as data: items, ranges, severity bands, flags; one generic scorer.

An instrument is described by a definition (a YAML file in the package, or in a
configured folder). Adding an instrument is adding a definition: nothing here or
in the service layer names one.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_intake.domain import errors

SCORINGS = {"sum": sum}


class DefinitionError(ValueError):
    """An instrument definition is malformed; the service refuses to start with it."""


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class FlagRule:
    """Raise a flag of ``kind`` when the answer to ``item`` is above ``above``."""

    kind: str
    item: int
    above: int


@dataclass(frozen=True)
class Score:
    total: int
    severity: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    code: str
    title: str
    item_count: int
    item_min: int
    item_max: int
    bands: tuple[Band, ...]
    flags: tuple[FlagRule, ...] = ()
    remission_below: int | None = None
    scoring: str = "sum"

    @property
    def max_total(self) -> int:
        return self.item_count * self.item_max

    def checked_answers(self, answers: list[tuple[int, int]]) -> dict[int, int]:
        """Answers by item number, refused unless every item is answered once, in range."""
        by_item: dict[int, int] = {}
        for item, value in answers:
            if not 1 <= item <= self.item_count:
                raise errors.field("screening.answers", f"{self.code} has no item {item}")
            if item in by_item:
                raise errors.field("screening.answers", f"item {item} is answered twice")
            if not self.item_min <= value <= self.item_max:
                raise errors.field("screening.answers", f"item {item} must be between "
                                   f"{self.item_min} and {self.item_max}, got {value}")
            by_item[item] = value
        unanswered = [i for i in range(1, self.item_count + 1) if i not in by_item]
        if unanswered:
            raise errors.field("screening.answers", f"items {unanswered} are not answered")
        return by_item

    def score(self, answers: list[tuple[int, int]]) -> Score:
        by_item = self.checked_answers(answers)
        total = SCORINGS[self.scoring](by_item.values())
        raised = tuple(f.kind for f in self.flags if by_item[f.item] > f.above)
        return Score(total, self.severity(total), raised)

    def severity(self, total: int) -> str:
        return next(b.label for b in self.bands if b.low <= total <= b.high)
