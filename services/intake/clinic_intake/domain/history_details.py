"""The typed details a history entry holds, each checking its own fields."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, fields

from clinic_intake.domain import common, errors


class Kind(enum.StrEnum):
    CONDITION = "CONDITION"
    MEDICATION = "MEDICATION"
    ALLERGY = "ALLERGY"
    PRIOR_THERAPY = "PRIOR_THERAPY"
    SUBSTANCE_USE = "SUBSTANCE_USE"


class Outcome(enum.StrEnum):
    UNSPECIFIED = ""
    ONGOING = "ONGOING"
    RESPONDED = "RESPONDED"
    PARTIAL_RESPONSE = "PARTIAL_RESPONSE"
    NO_RESPONSE = "NO_RESPONSE"
    NOT_TOLERATED = "NOT_TOLERATED"


# An inadequate response is a failed trial; intolerance is not a failure of the drug's effect.
FAILED_OUTCOMES = frozenset({Outcome.NO_RESPONSE, Outcome.PARTIAL_RESPONSE})
MAX_TRIAL_WEEKS = 520
Severity = enum.StrEnum("Severity", {"UNSPECIFIED": "", "MILD": "MILD", "MODERATE": "MODERATE",
                                     "SEVERE": "SEVERE"})
TherapyKind = enum.StrEnum("TherapyKind", {k: k for k in (
    "TALK_THERAPY", "TMS", "ECT", "KETAMINE", "OTHER")})
UseStatus = enum.StrEnum("UseStatus", {k: k for k in ("CURRENT", "FORMER", "NEVER")})


def _past(value: dt.date | None, name: str, today: dt.date) -> dt.date | None:
    if value is not None and value > today:
        raise errors.field(name, "is in the future")
    return value


@dataclass(frozen=True)
class Condition:
    code: str
    onset_date: dt.date | None = None
    resolved_date: dt.date | None = None

    def checked(self, at: str, today: dt.date) -> Condition:
        common.date_order(self.onset_date, self.resolved_date, f"{at}.resolved_date")
        return Condition(common.icd10(self.code, f"{at}.code"),
                         _past(self.onset_date, f"{at}.onset_date", today),
                         _past(self.resolved_date, f"{at}.resolved_date", today))


@dataclass(frozen=True)
class Medication:
    medication_name: str
    dose: str = ""
    frequency: str = ""
    start_date: dt.date | None = None
    stop_date: dt.date | None = None
    antidepressant: bool = False
    trial_outcome: str = Outcome.UNSPECIFIED
    # Weeks at the recorded dose, and the clinician's word that the dose was at least the
    # minimum effective one: what makes a failed trial an adequate one.
    trial_weeks: int = 0
    adequate_dose: bool = False

    def checked(self, at: str, today: dt.date) -> Medication:
        common.date_order(self.start_date, self.stop_date, f"{at}.stop_date")
        outcome = common.choice(Outcome, self.trial_outcome, f"{at}.trial_outcome")
        for name, value in (("trial_outcome", outcome), ("trial_weeks", self.trial_weeks),
                            ("adequate_dose", self.adequate_dose)):
            if value and not self.antidepressant:
                raise errors.field(f"{at}.{name}", "is only for antidepressant trials")
        if not 0 <= self.trial_weeks <= MAX_TRIAL_WEEKS:
            raise errors.field(f"{at}.trial_weeks", f"must be between 0 and {MAX_TRIAL_WEEKS}")
        return Medication(
            common.required_text(self.medication_name, f"{at}.medication_name"),
            common.optional_text(self.dose, f"{at}.dose", 60),
            common.optional_text(self.frequency, f"{at}.frequency", 60),
            _past(self.start_date, f"{at}.start_date", today),
            _past(self.stop_date, f"{at}.stop_date", today), self.antidepressant, outcome,
            self.trial_weeks, self.adequate_dose)

    @property
    def failed_trial(self) -> bool:
        return self.antidepressant and self.trial_outcome in FAILED_OUTCOMES

    def adequate_failed_trial(self, min_weeks: int) -> bool:
        """A failed trial at an attested adequate dose that lasted at least ``min_weeks``."""
        return self.failed_trial and self.adequate_dose and self.trial_weeks >= min_weeks


@dataclass(frozen=True)
class Allergy:
    substance: str
    reaction: str = ""
    severity: str = ""

    def checked(self, at: str, today: dt.date) -> Allergy:
        return Allergy(common.required_text(self.substance, f"{at}.substance", 100),
                       common.optional_text(self.reaction, f"{at}.reaction"),
                       common.choice(Severity, self.severity, f"{at}.severity"))


@dataclass(frozen=True)
class PriorTherapy:
    kind: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    sessions: int = 0
    outcome: str = Outcome.UNSPECIFIED

    def checked(self, at: str, today: dt.date) -> PriorTherapy:
        common.date_order(self.start_date, self.end_date, f"{at}.end_date")
        if not 0 <= self.sessions <= 1000:
            raise errors.field(f"{at}.sessions", "must be between 0 and 1000")
        return PriorTherapy(common.choice(TherapyKind, self.kind, f"{at}.kind"),
                            _past(self.start_date, f"{at}.start_date", today),
                            _past(self.end_date, f"{at}.end_date", today), self.sessions,
                            common.choice(Outcome, self.outcome, f"{at}.outcome"))


@dataclass(frozen=True)
class SubstanceUse:
    substance: str
    status: str
    frequency: str = ""
    last_use_date: dt.date | None = None

    def checked(self, at: str, today: dt.date) -> SubstanceUse:
        return SubstanceUse(common.required_text(self.substance, f"{at}.substance", 100),
                            common.choice(UseStatus, self.status, f"{at}.status"),
                            common.optional_text(self.frequency, f"{at}.frequency", 60),
                            _past(self.last_use_date, f"{at}.last_use_date", today))


Detail = Condition | Medication | Allergy | PriorTherapy | SubstanceUse
DETAILS: dict[Kind, type] = {Kind.CONDITION: Condition, Kind.MEDICATION: Medication,
                             Kind.ALLERGY: Allergy, Kind.PRIOR_THERAPY: PriorTherapy,
                             Kind.SUBSTANCE_USE: SubstanceUse}
KINDS = {cls: kind for kind, cls in DETAILS.items()}


def from_data(kind: str, data: dict) -> Detail:
    cls = DETAILS[Kind(kind)]
    values = {}
    for f in fields(cls):
        if f.name not in data:  # recorded before the field existed: its default
            continue
        value = data[f.name]
        is_date = "dt.date" in str(f.type) and isinstance(value, str)
        values[f.name] = dt.date.fromisoformat(value) if is_date else value
    return cls(**values)
