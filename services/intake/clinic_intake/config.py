"""Intake settings: INTAKE_* environment variables (see the README table)."""

from typing import ClassVar

from clinic_common.config import ServiceSettings
from pydantic_settings import SettingsConfigDict


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 50051
