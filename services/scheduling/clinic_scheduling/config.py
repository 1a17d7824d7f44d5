"""Scheduling settings: SCHEDULING_* environment variables, with the clinics' policy defaults."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from clinic_common.config import ServiceSettings
from pydantic import field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from clinic_scheduling.domain.policy import WEEKDAY_NAMES, HoursSpec, SchedulingPolicy
from clinic_scheduling.domain.visit import VisitPolicy


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore")
    service_name: ClassVar[str] = "scheduling"
    default_port: ClassVar[int] = 50052

    # A cancellation less than this many hours before the start is late (a fee may apply).
    late_cancel_hours: float = 24.0
    # Opening hours a location gets when it is given none: days, opening and closing time.
    default_open_days: str = "MON,TUE,WED,THU,FRI"
    default_open_time: str = "08:00"
    default_close_time: str = "19:00"
    # How many overlapping infusions and Spravato observations one RN may watch at once.
    rn_max_chairs: int = 3
    # How long a slot hold (AvailabilityService.CreateHold) blocks its slot, in minutes.
    hold_minutes: int = 5
    # How long a waitlist offer holds its slot for the patient, in minutes.
    waitlist_offer_minutes: int = 30
    # How often the sweeper expires lapsed holds and waitlist offers (and offers the slots
    # they free), in seconds; 0 turns it off.
    sweep_seconds: float = 15.0
    # Vital signs that raise a VitalsAlert: systolic or diastolic at or above, SpO2 below,
    # pulse outside [below, at).
    alert_systolic_mmhg: int = 180
    alert_diastolic_mmhg: int = 110
    alert_spo2_below_percent: int = 92
    alert_pulse_below_bpm: int = 45
    alert_pulse_at_bpm: int = 130
    # Spravato's observation after the dose before discharge, in minutes.
    spravato_observation_minutes: int = 120
    # A weight-based dose needs a weight measured no more than this many days before check-in.
    weight_max_age_days: int = 30

    @field_validator("late_cancel_hours", "sweep_seconds")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("rn_max_chairs", "hold_minutes", "waitlist_offer_minutes")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("default_open_days")
    @classmethod
    def _known_days(cls, value: str) -> str:
        days = [d.strip().upper() for d in value.split(",") if d.strip()]
        if not days or any(d not in WEEKDAY_NAMES for d in days):
            raise ValueError(f"expected a comma-separated list of {', '.join(WEEKDAY_NAMES)}")
        return ",".join(days)

    @field_validator("default_open_time", "default_close_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            dt.time.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a time such as 08:00") from None
        return value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> SchedulingSettings:
        if dt.time.fromisoformat(self.default_open_time) >= \
                dt.time.fromisoformat(self.default_close_time):
            raise ValueError("SCHEDULING_DEFAULT_OPEN_TIME must be before "
                             "SCHEDULING_DEFAULT_CLOSE_TIME")
        return self

    def policy(self) -> SchedulingPolicy:
        opens = dt.time.fromisoformat(self.default_open_time)
        closes = dt.time.fromisoformat(self.default_close_time)
        days = [WEEKDAY_NAMES.index(d) + 1 for d in self.default_open_days.split(",")]
        return SchedulingPolicy(
            late_cancel_window=dt.timedelta(hours=self.late_cancel_hours),
            rn_max_chairs=self.rn_max_chairs,
            hold_duration=dt.timedelta(minutes=self.hold_minutes),
            waitlist_offer_duration=dt.timedelta(minutes=self.waitlist_offer_minutes),
            default_hours=tuple(HoursSpec(day, opens, closes) for day in sorted(set(days))),
            visit=VisitPolicy(
                systolic_alert_at=self.alert_systolic_mmhg,
                diastolic_alert_at=self.alert_diastolic_mmhg,
                spo2_alert_below=self.alert_spo2_below_percent,
                pulse_alert_below=self.alert_pulse_below_bpm,
                pulse_alert_at=self.alert_pulse_at_bpm,
                spravato_observation=dt.timedelta(minutes=self.spravato_observation_minutes),
                weight_max_age=dt.timedelta(days=self.weight_max_age_days)))
