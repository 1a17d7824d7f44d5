"""Rule tests beyond the history lists: code ranges, age, screening answers, trial counts.

Each test takes its arguments from the rule set (plain data) and returns a callable
(PatientFacts) -> list[Fact]; an empty list means the rule found nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic_intake.domain.contraindications import Fact, PatientFacts
from clinic_intake.domain.history import Kind, adequate_failed_antidepressant_trials

CLINIC_TIME_ZONE = "America/Los_Angeles"


def _age(born: dt.date, on: dt.date) -> int:
    """Completed years on ``on``: a birthday counts from its day (29 February from 1 March
    in a common year, as the calendar has no 29th)."""
    before_birthday = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - before_birthday


def age_below(years, time_zone: str = CLINIC_TIME_ZONE):
    """The patient is younger than ``years`` on the day of the evaluation (the clinic's
    day, in ``time_zone``). Without a date of birth, see no_date_of_birth."""
    years = int(years)
    try:
        zone = ZoneInfo(str(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time_zone {time_zone!r} is not a time zone") from None

    def test(facts: PatientFacts) -> list[Fact]:
        if facts.date_of_birth is None:
            return []
        today = facts.now.astimezone(zone).date()
        age = _age(facts.date_of_birth, today)
        if age >= years:
            return []
        return [Fact(f"age {age} on {today} (born {facts.date_of_birth}), under {years}",
                     f"patients/{facts.patient_id}")]
    return test


def no_date_of_birth():
    """No date of birth recorded, so no age rule can be checked."""
    def test(facts: PatientFacts) -> list[Fact]:
        if facts.date_of_birth is not None:
            return []
        return [Fact("age unknown: no date of birth recorded", f"patients/{facts.patient_id}")]
    return test


def _item_words(items) -> dict[int, str]:
    if not isinstance(items, dict) or not items:
        raise ValueError("items must map item numbers to what a yes answer means")
    return {int(number): str(words) for number, words in items.items()}


def screening_answers(instrument, items):
    """On the latest screening of ``instrument``, a positive answer (above the lowest) to
    one of ``items`` (item number: what a yes means, in words for the reviewer)."""
    instrument, words = str(instrument), _item_words(items)

    def test(facts: PatientFacts) -> list[Fact]:
        latest = facts.latest_screening(instrument)
        if latest is None:
            return []
        record = f"patients/{facts.patient_id}/screenings/{latest.screening_id}"
        return [Fact(f"{instrument} item {n} ({words[n]}) answered yes on "
                     f"{latest.administered_at:%Y-%m-%d}", record)
                for n in sorted(words) if int(latest.answers.get(str(n), 0)) > 0]
    return test


def no_screening(instrument):
    """No screening of ``instrument`` on file."""
    instrument = str(instrument)

    def test(facts: PatientFacts) -> list[Fact]:
        if facts.latest_screening(instrument) is not None:
            return []
        return [Fact(f"no {instrument} questionnaire on file")]
    return test


def too_few_adequate_trials():
    """Fewer adequate failed antidepressant trials than the clinic's treatment-resistance
    threshold (policy: how many, and how many weeks make a trial adequate)."""
    def test(facts: PatientFacts) -> list[Fact]:
        policy = facts.policy
        entries = [e for e in facts.entries if e.kind == Kind.MEDICATION]
        adequate = adequate_failed_antidepressant_trials(entries, policy.adequate_trial_min_weeks)
        if adequate >= policy.treatment_resistance_min_failed_trials:
            return []
        return [Fact(f"{adequate} adequate failed antidepressant trial(s) on record (at an "
                     f"adequate dose for at least {policy.adequate_trial_min_weeks} weeks); "
                     f"treatment resistance needs {policy.treatment_resistance_min_failed_trials}")]
    return test
