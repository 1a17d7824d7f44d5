"""Scored screenings, the safety flags they raise, and scores over time."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
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


class BaselineBasis(enum.StrEnum):
    ACTIVE_PLAN = "ACTIVE_PLAN"
    PAST_PLAN = "PAST_PLAN"
    FIRST_SCREENING = "FIRST_SCREENING"


@dataclass(frozen=True)
class Course:
    """A treatment plan as a course of treatment: when it started, whether it is in force."""

    plan_id: str
    started_at: dt.datetime
    active: bool


@dataclass(frozen=True)
class Trend:
    """One instrument's scores over time, compared with the baseline of the current course.

    Response and remission are outcomes of treatment, so they need a screening after the
    baseline (a follow-up): a single baseline below the remission threshold is not a remission.
    """

    instrument: str
    points: tuple[Screening, ...]
    baseline: int = 0
    latest: int = 0
    change: int = 0
    percent_change: float = 0.0
    response: bool = False
    remission: bool = False
    baseline_screening_id: str = ""
    baseline_plan_id: str = ""
    basis: str = ""
    follow_up_count: int = 0


def current_course(courses: Sequence[Course]) -> tuple[Course | None, BaselineBasis]:
    """The course a trend is measured in: the latest active plan, else the latest past one."""
    active = [c for c in courses if c.active]
    if active:
        return max(active, key=lambda c: c.started_at), BaselineBasis.ACTIVE_PLAN
    if courses:
        return max(courses, key=lambda c: c.started_at), BaselineBasis.PAST_PLAN
    return None, BaselineBasis.FIRST_SCREENING


def _baseline_index(points: tuple[Screening, ...], course: Course | None) -> int:
    """The latest screening at or before the course started; with none, the first after."""
    if course is None:
        return 0
    before = [i for i, p in enumerate(points) if p.administered_at <= course.started_at]
    return before[-1] if before else 0


def trend(instrument: Instrument, screenings: list[Screening], response_drop_percent: int,
          courses: Sequence[Course] = ()) -> Trend:
    """The trend of ``screenings`` (any order) in the current course of ``courses``.

    Response is a drop from baseline of at least the percent; remission a latest score below
    the instrument's threshold; both only once there is a follow-up.
    """
    points = tuple(sorted(screenings, key=lambda s: (s.administered_at, s.screening_id)))
    if not points:
        return Trend(instrument.code, points)
    course, basis = current_course(courses)
    at = _baseline_index(points, course)
    first, last = points[at], points[-1]
    follow_ups = len(points) - 1 - at
    baseline, latest = first.total_score, last.total_score
    change = latest - baseline if follow_ups else 0
    percent = change * 100 / baseline if baseline else 0.0
    return Trend(
        instrument.code, points, baseline, latest, change, round(percent, 1),
        response=follow_ups > 0 and baseline > 0 and -percent >= response_drop_percent,
        remission=follow_ups > 0 and instrument.remission_below is not None and
        latest < instrument.remission_below,
        baseline_screening_id=first.screening_id,
        baseline_plan_id=course.plan_id if course else "", basis=basis,
        follow_up_count=follow_ups)
