"""The clinic's intake policies, as values the rules read. Defaults come from configuration."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Series:
    """A treatment series: how many sessions, how far apart at least, completed within."""

    sessions: int
    min_spacing_hours: int
    window_days: int


@dataclass(frozen=True)
class PreTreatment:
    """What a clearance tells the patient and scheduling for every session of a modality."""

    escort_required: bool
    fasting_instruction: str = ""


def _pre_treatment() -> dict[str, PreTreatment]:
    # Ketamine and esketamine impair driving until the next day after sleep (Spravato label),
    # so an escort drives the patient home. Fasting: the clinic's anaesthesia practice for IV
    # ketamine; the Spravato medication guide (nausea and vomiting) for esketamine.
    return {
        "IV_KETAMINE": PreTreatment(True, "No solid food for 6 hours before the infusion; "
                                          "clear liquids until 2 hours before."),
        "SPRAVATO": PreTreatment(True, "No food for 2 hours and no liquids for 30 minutes "
                                       "before the dose."),
        "TMS": PreTreatment(False, ""),
    }


def _series() -> dict[str, Series]:
    return {"IV_KETAMINE": Series(6, 24, 21), "SPRAVATO": Series(8, 48, 28),
            "TMS": Series(36, 20, 63)}


@dataclass(frozen=True)
class Policy:
    """Intake's clinic settings (see IntakeSettings for what each means).

    Doses are not here: each dosing protocol carries its own (see protocols.py).
    """

    weight_max_age_days: int = 30
    screening_max_age_days: int = 90
    clearance_instruments: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "IV_KETAMINE": ("PHQ-9",), "SPRAVATO": ("PHQ-9",), "TMS": ("PHQ-9", "TMS-SAFETY")})
    required_consents: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "IV_KETAMINE": ("KETAMINE_TREATMENT",),
        "SPRAVATO": ("SPRAVATO_TREATMENT", "SPRAVATO_REMS_ENROLLMENT"),
        "TMS": ("TMS_TREATMENT",)})
    response_drop_percent: int = 50
    # Two adequate failed trials: the common definition of treatment-resistant depression
    # (and the Spravato label's indication); adequate is at least this many weeks.
    treatment_resistance_min_failed_trials: int = 2
    adequate_trial_min_weeks: int = 6
    series_defaults: dict[str, Series] = field(default_factory=_series)
    min_spacing_hours: dict[str, int] = field(default_factory=lambda: {"IV_KETAMINE": 24})
    pre_treatment: dict[str, PreTreatment] = field(default_factory=_pre_treatment)
