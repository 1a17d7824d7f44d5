"""Intake's policies come from INTAKE_* variables; nonsense stops the service at start."""

from decimal import Decimal

import pytest
from clinic_common.config import ConfigurationError, load
from clinic_intake.config import IntakeSettings
from clinic_intake.domain.policy import Policy, Series


def test_defaults_are_the_clinic_policies():
    assert IntakeSettings().policy() == Policy()


def test_policies_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("INTAKE_WEIGHT_MAX_AGE_DAYS", "14")
    monkeypatch.setenv("INTAKE_KETAMINE_MG_PER_KG", "0.6")
    monkeypatch.setenv("INTAKE_SERIES_DEFAULTS", '{"TMS": [30, 20, 50]}')
    monkeypatch.setenv("INTAKE_REQUIRED_CONSENTS", '{"TMS": []}')
    policy = load(IntakeSettings).policy()
    assert (policy.weight_max_age_days, policy.ketamine_mg_per_kg) == (14, Decimal("0.6"))
    assert policy.series_defaults == {"TMS": Series(30, 20, 50)}
    assert policy.required_consents == {"TMS": ()}


@pytest.mark.parametrize(("variable", "value"), [
    ("INTAKE_WEIGHT_MAX_AGE_DAYS", "0"),
    ("INTAKE_KETAMINE_MG_PER_KG", "-1"),
    ("INTAKE_RESPONSE_DROP_PERCENT", "150"),
    ("INTAKE_SERIES_DEFAULTS", '{"TMS": [30, 0, 50]}'),
    ("INTAKE_REQUIRED_CONSENTS", '{"ECT": []}'),
])
def test_nonsense_policies_name_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as refused:
        load(IntakeSettings)
    assert variable in str(refused.value)
