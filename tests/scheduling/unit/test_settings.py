"""Scheduling's settings: SCHEDULING_* variables and the policy they make."""

import datetime as dt

import pytest
from clinic_common.config import ConfigurationError, load
from clinic_scheduling.config import SchedulingSettings


def test_defaults_are_the_clinic_policy(monkeypatch):
    for name in ("LATE_CANCEL_HOURS", "DEFAULT_OPEN_DAYS", "DEFAULT_OPEN_TIME",
                 "DEFAULT_CLOSE_TIME", "PORT"):
        monkeypatch.delenv(f"SCHEDULING_{name}", raising=False)
    settings = load(SchedulingSettings)
    policy = settings.policy()
    assert settings.listen_port == 50052 and SchedulingSettings.service_name == "scheduling"
    assert policy.late_cancel_window == dt.timedelta(hours=24)
    assert [(h.weekday, h.open_time, h.close_time) for h in policy.default_hours] == \
        [(day, dt.time(8), dt.time(19)) for day in range(1, 6)]


def test_policy_values_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SCHEDULING_LATE_CANCEL_HOURS", "48")
    monkeypatch.setenv("SCHEDULING_DEFAULT_OPEN_DAYS", "mon,sat")
    monkeypatch.setenv("SCHEDULING_DEFAULT_OPEN_TIME", "09:30")
    policy = load(SchedulingSettings).policy()
    assert policy.late_cancel_window == dt.timedelta(hours=48)
    assert [(h.weekday, h.open_time) for h in policy.default_hours] == \
        [(1, dt.time(9, 30)), (6, dt.time(9, 30))]


@pytest.mark.parametrize("name, value", [
    ("SCHEDULING_LATE_CANCEL_HOURS", "-1"), ("SCHEDULING_DEFAULT_OPEN_DAYS", "MON,FUNDAY"),
    ("SCHEDULING_DEFAULT_OPEN_TIME", "8am"), ("SCHEDULING_DEFAULT_CLOSE_TIME", "07:00"),
    ("SCHEDULING_WAITLIST_OFFER_MINUTES", "0"), ("SCHEDULING_SWEEP_SECONDS", "-5")])
def test_a_bad_policy_value_fails_at_start_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as failed:
        load(SchedulingSettings)
    assert "SCHEDULING_" in str(failed.value)


def test_the_waitlist_offer_time_and_sweep_interval_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("SCHEDULING_WAITLIST_OFFER_MINUTES", raising=False)
    monkeypatch.delenv("SCHEDULING_SWEEP_SECONDS", raising=False)
    defaults = load(SchedulingSettings)
    assert defaults.policy().waitlist_offer_duration == dt.timedelta(minutes=30)
    assert defaults.sweep_seconds == 15
    monkeypatch.setenv("SCHEDULING_WAITLIST_OFFER_MINUTES", "90")
    monkeypatch.setenv("SCHEDULING_SWEEP_SECONDS", "0")
    settings = load(SchedulingSettings)
    assert settings.policy().waitlist_offer_duration == dt.timedelta(minutes=90)
    assert settings.sweep_seconds == 0


def test_the_hold_time_comes_from_the_environment(monkeypatch):
    # "A short hold on a slot (minutes, configurable)": 5 minutes unless ops set another.
    monkeypatch.delenv("SCHEDULING_HOLD_MINUTES", raising=False)
    assert load(SchedulingSettings).policy().hold_duration == dt.timedelta(minutes=5)
    monkeypatch.setenv("SCHEDULING_HOLD_MINUTES", "12")
    assert load(SchedulingSettings).policy().hold_duration == dt.timedelta(minutes=12)
    monkeypatch.setenv("SCHEDULING_HOLD_MINUTES", "0")
    with pytest.raises(ConfigurationError) as failed:
        load(SchedulingSettings)
    assert "SCHEDULING_HOLD_MINUTES" in str(failed.value)
