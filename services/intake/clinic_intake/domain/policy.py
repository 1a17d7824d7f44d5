"""The clinic's intake policies, as values the rules read. Defaults come from configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Series:
    """A treatment series: how many sessions, how far apart at least, completed within."""

    sessions: int
    min_spacing_hours: int
    window_days: int


def _series() -> dict[str, Series]:
    return {"IV_KETAMINE": Series(6, 24, 21), "SPRAVATO": Series(8, 48, 28),
            "TMS": Series(36, 20, 63)}


@dataclass(frozen=True)
class Policy:
    """Intake's clinic settings (see IntakeSettings for what each means)."""

    ketamine_mg_per_kg: Decimal = Decimal("0.5")
    ketamine_max_mg_per_kg: Decimal = Decimal("1.0")
    ketamine_max_dose_mg: Decimal = Decimal("100")
    weight_max_age_days: int = 30
    spravato_doses_mg: tuple[int, ...] = (56, 84)
    screening_max_age_days: int = 90
    clearance_instruments: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "IV_KETAMINE": ("PHQ-9",), "SPRAVATO": ("PHQ-9",), "TMS": ("PHQ-9",)})
    required_consents: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "IV_KETAMINE": ("KETAMINE_TREATMENT",),
        "SPRAVATO": ("SPRAVATO_TREATMENT", "SPRAVATO_REMS_ENROLLMENT"),
        "TMS": ("TMS_TREATMENT",)})
    response_drop_percent: int = 50
    treatment_resistance_min_failed_trials: int = 1
    series_defaults: dict[str, Series] = field(default_factory=_series)
    min_spacing_hours: dict[str, int] = field(default_factory=lambda: {"IV_KETAMINE": 24})
