"""Intake settings: INTAKE_* environment variables. Dicts and lists are given as JSON.

Clinical policies have the clinic's defaults (DOMAIN.md); a deployment overrides
them per environment, for example ``INTAKE_WEIGHT_MAX_AGE_DAYS=14``.
"""

from pathlib import Path
from typing import ClassVar

from clinic_common.config import ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from clinic_intake.domain.policy import Policy, PreTreatment, Series

_DEFAULT = Policy()
MODALITIES = {"IV_KETAMINE", "SPRAVATO", "TMS"}


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 50051

    # A weight older than this many days cannot be used to compute a dose.
    weight_max_age_days: int = Field(_DEFAULT.weight_max_age_days, gt=0)
    # A screening older than this many days does not count towards a clearance.
    screening_max_age_days: int = Field(_DEFAULT.screening_max_age_days, gt=0)
    # The instruments that must be scored before a clearance, by modality.
    clearance_instruments: dict[str, list[str]] = {
        k: list(v) for k, v in _DEFAULT.clearance_instruments.items()}
    # The signed consents a clearance needs, by modality.
    required_consents: dict[str, list[str]] = {
        k: list(v) for k, v in _DEFAULT.required_consents.items()}
    # The drop from baseline, in percent, that counts as a response.
    response_drop_percent: int = Field(_DEFAULT.response_drop_percent, gt=0, le=100)
    # How many adequate failed antidepressant trials make depression treatment-resistant.
    treatment_resistance_min_failed_trials: int = Field(
        _DEFAULT.treatment_resistance_min_failed_trials, ge=1)
    # The weeks at an adequate dose that make a failed antidepressant trial an adequate one.
    adequate_trial_min_weeks: int = Field(_DEFAULT.adequate_trial_min_weeks, ge=1, le=52)
    # Default series by modality: [sessions, min spacing hours, window days].
    series_defaults: dict[str, list[int]] = {
        k: [v.sessions, v.min_spacing_hours, v.window_days]
        for k, v in _DEFAULT.series_defaults.items()}
    # The least spacing a plan may set between sessions, in hours, by modality.
    min_spacing_hours: dict[str, int] = dict(_DEFAULT.min_spacing_hours)
    # What a clearance carries per modality: whether an escort must take the patient home, and
    # the fasting instruction, as {"escort_required": bool, "fasting_instruction": str}. A
    # modality left out keeps its default.
    pre_treatment: dict[str, dict[str, bool | str]] = {
        k: {"escort_required": v.escort_required, "fasting_instruction": v.fasting_instruction}
        for k, v in _DEFAULT.pre_treatment.items()}
    # A YAML file of contraindication rules replacing the packaged one, if set.
    contraindication_rules_path: Path | None = None
    # A YAML file of dosing protocols replacing the packaged one, if set.
    dosing_protocols_path: Path | None = None
    # A folder of instrument definitions (YAML) added to, or replacing, the packaged ones.
    instruments_dir: Path | None = None

    @field_validator("clearance_instruments", "required_consents", "min_spacing_hours",
                     "series_defaults", "pre_treatment")
    @classmethod
    def _known_modalities(cls, value: dict) -> dict:
        unknown = set(value) - MODALITIES
        if unknown:
            raise ValueError(f"keys must be among {sorted(MODALITIES)}, got {sorted(unknown)}")
        return value

    @field_validator("series_defaults")
    @classmethod
    def _three_positive_numbers(cls, value: dict[str, list[int]]) -> dict[str, list[int]]:
        for modality, series in value.items():
            if len(series) != 3 or min(series) < 1:
                raise ValueError(f"{modality}: give [sessions, min spacing hours, window days]")
        return value

    @field_validator("pre_treatment")
    @classmethod
    def _escort_and_fasting(cls, value: dict[str, dict]) -> dict[str, dict]:
        for modality, entry in value.items():
            if set(entry) - {"escort_required", "fasting_instruction"} or \
                    not isinstance(entry.get("escort_required", False), bool) or \
                    not isinstance(entry.get("fasting_instruction", ""), str):
                raise ValueError(f"{modality}: give {{\"escort_required\": true|false, "
                                 "\"fasting_instruction\": \"...\"}")
        return value

    def policy(self) -> Policy:
        return Policy(
            weight_max_age_days=self.weight_max_age_days,
            screening_max_age_days=self.screening_max_age_days,
            clearance_instruments={k: tuple(v) for k, v in self.clearance_instruments.items()},
            required_consents={k: tuple(v) for k, v in self.required_consents.items()},
            response_drop_percent=self.response_drop_percent,
            treatment_resistance_min_failed_trials=self.treatment_resistance_min_failed_trials,
            adequate_trial_min_weeks=self.adequate_trial_min_weeks,
            series_defaults={k: Series(*v) for k, v in self.series_defaults.items()},
            min_spacing_hours=dict(self.min_spacing_hours),
            pre_treatment=self._pre_treatment())

    def _pre_treatment(self) -> dict[str, PreTreatment]:
        # A modality the setting leaves out keeps its default: leaving out ketamine must not
        # quietly drop its escort requirement.
        given = {k: PreTreatment(bool(v.get("escort_required", False)),
                                 str(v.get("fasting_instruction", "")))
                 for k, v in self.pre_treatment.items()}
        return {**_DEFAULT.pre_treatment, **given}
