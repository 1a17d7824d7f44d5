"""Vital signs measured at a time: height, weight, blood pressure, pulse, SpO2."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from clinic_intake.domain import common, errors

# Plausible ranges, to catch a unit mistake (pounds for kilograms) at the desk.
RANGES = {
    "height_mm": (300, 2500),
    "weight_grams": (1_000, 400_000),
    "systolic_mmhg": (50, 300),
    "diastolic_mmhg": (20, 200),
    "pulse_bpm": (20, 250),
    # Oxygen saturation: below 50% a pulse oximeter reads unreliably; above 100 is impossible.
    "spo2_percent": (50, 100),
}
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class Vitals:
    """One set of measurements; a measurement not taken is None."""

    vitals_id: str
    patient_id: str
    measured_at: dt.datetime
    height_mm: int | None = None
    weight_grams: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    pulse_bpm: int | None = None
    recorded_by: str = ""
    created_at: dt.datetime = field(kw_only=True)
    location_id: str = ""
    spo2_percent: int | None = None

    @classmethod
    def record(cls, patient_id: str, measured_at: dt.datetime | None, values: dict,
               staff_id: str, now: dt.datetime, *, location_id: str = "") -> Vitals:
        if measured_at is None:
            raise errors.field("vitals.measure_time", "is required")
        if measured_at > now + CLOCK_SKEW:
            raise errors.field("vitals.measure_time", "is in the future")
        taken = {k: v for k, v in values.items() if v}
        if not taken:
            raise errors.field("vitals", "holds no measurement")
        for name, value in taken.items():
            low, high = RANGES[name]
            if not low <= value <= high:
                raise errors.field(f"vitals.{name}", f"must be between {low} and {high}")
        _check_pressure(taken)
        return cls(vitals_id=common.new_id(), patient_id=patient_id, measured_at=measured_at,
                   recorded_by=staff_id, created_at=now, location_id=location_id, **taken)

    @property
    def weight_kg(self) -> Decimal | None:
        return None if self.weight_grams is None else Decimal(self.weight_grams) / 1000


def _check_pressure(taken: dict) -> None:
    systolic, diastolic = taken.get("systolic_mmhg"), taken.get("diastolic_mmhg")
    if (systolic is None) != (diastolic is None):
        raise errors.field("vitals.diastolic_mmhg", "blood pressure needs both numbers")
    if systolic is not None and diastolic >= systolic:
        raise errors.field("vitals.diastolic_mmhg", "must be below the systolic pressure")
