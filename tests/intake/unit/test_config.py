"""Intake's policies come from INTAKE_* variables; nonsense stops the service at start."""

import pytest
from clinic_common.config import ConfigurationError, load
from clinic_intake.config import IntakeSettings
from clinic_intake.domain.policy import Policy, Series


def test_defaults_are_the_clinic_policies():
    assert IntakeSettings().policy() == Policy()


def test_policies_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("INTAKE_WEIGHT_MAX_AGE_DAYS", "14")
    monkeypatch.setenv("INTAKE_DOSING_PROTOCOLS_PATH", "/etc/clinic/protocols.yaml")
    monkeypatch.setenv("INTAKE_SERIES_DEFAULTS", '{"TMS": [30, 20, 50]}')
    monkeypatch.setenv("INTAKE_REQUIRED_CONSENTS", '{"TMS": []}')
    settings = load(IntakeSettings)
    policy = settings.policy()
    assert (policy.weight_max_age_days, str(settings.dosing_protocols_path)) == \
        (14, "/etc/clinic/protocols.yaml")
    assert policy.series_defaults == {"TMS": Series(30, 20, 50)}
    assert policy.required_consents == {"TMS": ()}


@pytest.mark.parametrize(("variable", "value"), [
    ("INTAKE_WEIGHT_MAX_AGE_DAYS", "0"),
    ("INTAKE_SCREENING_MAX_AGE_DAYS", "-1"),
    ("INTAKE_RESPONSE_DROP_PERCENT", "150"),
    ("INTAKE_SERIES_DEFAULTS", '{"TMS": [30, 0, 50]}'),
    ("INTAKE_REQUIRED_CONSENTS", '{"ECT": []}'),
])
def test_nonsense_policies_name_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as refused:
        load(IntakeSettings)
    assert variable in str(refused.value)


def test_escort_and_fasting_per_modality_are_settings_and_a_modality_left_out_keeps_its_default(
        monkeypatch):
    monkeypatch.setenv("INTAKE_PRE_TREATMENT", '{"TMS": {"escort_required": true, '
                                               '"fasting_instruction": "Light meal only."}}')
    policy = load(IntakeSettings).policy()
    assert (policy.pre_treatment["TMS"].escort_required,
            policy.pre_treatment["TMS"].fasting_instruction) == (True, "Light meal only.")
    assert policy.pre_treatment["IV_KETAMINE"] == Policy().pre_treatment["IV_KETAMINE"]


@pytest.mark.parametrize("value", ['{"ECT": {"escort_required": true}}',
                                   '{"TMS": {"escort": true}}',
                                   '{"TMS": {"fasting_instruction": 6}}'])
def test_malformed_escort_and_fasting_settings_stop_the_service(monkeypatch, value):
    monkeypatch.setenv("INTAKE_PRE_TREATMENT", value)
    with pytest.raises(ConfigurationError) as refused:
        load(IntakeSettings)
    assert "INTAKE_PRE_TREATMENT" in str(refused.value)
