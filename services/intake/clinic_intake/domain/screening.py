"""Scored screenings, the safety flags they raise, and scores over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_intake.domain import common, errors
from clinic_intake.domain.instruments import Instrument

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class Screening:
    """One instrument as the patient answered it, with its score."""

    screening_id: str
    patient_id: str
    instrument: str
    answers: dict
    total_score: int
    severity: str
    administered_at: dt.datetime
    appointment_id: str = ""
    recorded_by: str = ""
    created_at: dt.datetime = field(kw_only=True)

    @classmethod
    def score(cls, patient_id: str, instrument: Instrument, answers: list[tuple[int, int]],
              administered_at: dt.datetime | None, appointment_id: str, staff_id: str,
              now: dt.datetime) -> tuple[Screening, list[SafetyFlag]]:
        """The scored screening and the flags its answers raise."""
        if administered_at is None:
            raise errors.field("screening.administer_time", "is required")
        if administered_at > now + CLOCK_SKEW:
            raise errors.field("screening.administer_time", "is in the future")
        result = instrument.score(answers)
        screening = cls(
            screening_id=common.new_id(), patient_id=patient_id, instrument=instrument.code,
            answers={str(i): v for i, v in sorted(instrument.checked_answers(answers).items())},
            total_score=result.total, severity=result.severity, administered_at=administered_at,
            appointment_id=common.optional_text(appointment_id, "screening.appointment_id", 64),
            recorded_by=staff_id, created_at=now)
        flags = [SafetyFlag(flag_id=common.new_id(), patient_id=patient_id, kind=kind,
                            screening_id=screening.screening_id, raised_at=now)
                 for kind in result.flags]
        return screening, flags


@dataclass
class SafetyFlag:
    """A concern that stays on the patient until a clinician acknowledges it."""

    flag_id: str
    patient_id: str
    kind: str
    screening_id: str
    raised_at: dt.datetime
    acknowledged_by: str = ""
    acknowledged_at: dt.datetime | None = None
    acknowledge_note: str = ""
    revision: int = 1

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    def acknowledge(self, staff_id: str, note: str, now: dt.datetime) -> None:
        if not self.is_open:
            raise errors.Refused("FLAG_ALREADY_ACKNOWLEDGED",
                                 "this flag was already acknowledged", flag_id=self.flag_id)
        self.acknowledged_by, self.acknowledged_at = staff_id, now
        self.acknowledge_note = common.optional_text(note, "note", 2000)
        self.revision += 1


@dataclass(frozen=True)
class Trend:
    """One instrument's scores over time, compared with the first (the baseline)."""

    instrument: str
    points: tuple[Screening, ...]
    baseline: int = 0
    latest: int = 0
    change: int = 0
    percent_change: float = 0.0
    response: bool = False
    remission: bool = False


def trend(instrument: Instrument, screenings: list[Screening], response_drop_percent: int):
    """The trend of ``screenings`` (any order); response is a drop of at least the percent."""
    points = tuple(sorted(screenings, key=lambda s: (s.administered_at, s.screening_id)))
    if not points:
        return Trend(instrument.code, points)
    baseline, latest = points[0].total_score, points[-1].total_score
    percent = (latest - baseline) * 100 / baseline if baseline else 0.0
    return Trend(
        instrument.code, points, baseline, latest, latest - baseline, round(percent, 1),
        response=len(points) > 1 and baseline > 0 and -percent >= response_drop_percent,
        remission=instrument.remission_below is not None and
        latest < instrument.remission_below)
