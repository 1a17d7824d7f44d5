"""Contraindication screening: a configurable rule set evaluated against recorded facts.

Each rule applies to some modalities and, when its test matches the patient's
facts, gives a finding (block or needs review) naming the facts that triggered
it. A rule that does not match gives an OK finding, so a reviewer sees every
rule that was checked.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_intake.domain import history
from clinic_intake.domain.policy import Policy
from clinic_intake.domain.screening import Screening
from clinic_intake.domain.vitals import Vitals


class Outcome(enum.StrEnum):
    OK = "OK"
    NEEDS_REVIEW = "NEEDS_REVIEW"
    BLOCK = "BLOCK"


@dataclass(frozen=True)
class Fact:
    """A recorded fact that triggered a rule: words for the reviewer, and the record."""

    description: str
    record: str = ""


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    outcome: Outcome
    facts: tuple[Fact, ...] = ()


@dataclass
class PatientFacts:
    """What the rules look at: the patient's history entries, latest blood pressure, date of
    birth, screenings, and the clinic's policy (for rules that count by it)."""

    patient_id: str
    entries: list[history.HistoryEntry]
    latest_blood_pressure: Vitals | None
    now: dt.datetime
    date_of_birth: dt.date | None = None
    screenings: list[Screening] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)

    def latest_screening(self, instrument: str) -> Screening | None:
        done = [s for s in self.screenings if s.instrument == instrument]
        return max(done, key=lambda s: (s.administered_at, s.screening_id), default=None)

    def details(self, kind: history.Kind):
        for entry in self.entries:
            if entry.kind == kind:
                yield entry, entry.detail

    def record(self, entry: history.HistoryEntry) -> str:
        return f"patients/{self.patient_id}/historyEntries/{entry.entry_id}"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title: str
    modalities: frozenset[str]
    outcome: Outcome
    test: object  # a callable (PatientFacts) -> list[Fact], from contraindication_rules
    # Where the rule comes from: a label section or a published guideline.
    source: str = ""

    def evaluate(self, facts: PatientFacts) -> Finding:
        triggered = tuple(self.test(facts))
        return Finding(self.rule_id, self.title, self.outcome if triggered else Outcome.OK,
                       triggered)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def ids(self) -> set[str]:
        return {r.rule_id for r in self.rules}

    def evaluate(self, modality: str, facts: PatientFacts) -> list[Finding]:
        """Findings of every rule that applies to ``modality``, worst first."""
        findings = [r.evaluate(facts) for r in self.rules if modality in r.modalities]
        rank = {Outcome.BLOCK: 0, Outcome.NEEDS_REVIEW: 1, Outcome.OK: 2}
        return sorted(findings, key=lambda f: rank[f.outcome])
