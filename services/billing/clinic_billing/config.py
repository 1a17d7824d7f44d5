"""Billing settings: BILLING_* environment variables.

The policy fees are clinic settings (DOMAIN.md): a no-show fee and a late-cancel
fee, in cents. The time zone turns appointment times into dates of service.
"""

import functools
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic_common.config import ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from clinic_billing.adapters import coding_rules
from clinic_billing.adapters.x12_837 import Envelope
from clinic_billing.domain.coding import CodingRules
from clinic_billing.domain.payer import BillingProvider, npi_is_valid
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.pricing import PolicyFees


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")
    service_name: ClassVar[str] = "billing"
    default_port: ClassVar[int] = 50053

    # An 835 comes in one request (~210 bytes a claim with two lines): 10 MiB takes some
    # 48,000 claims, posted in about 400 MiB (BENCHMARKS.md), under the pod's 512 MiB.
    # The other services keep the edge's 1 MiB.
    max_message_bytes: int = Field(10 * 1024 * 1024, ge=4096, le=64 * 1024 * 1024)
    no_show_fee_cents: int = 7500
    late_cancel_fee_cents: int = 5000
    time_zone: str = "America/Los_Angeles"
    coding_rules_path: Path | None = None
    # The billing provider claims go out from, and the NPIs of rendering providers by staff id.
    provider_name: str = ""
    provider_npi: str = ""
    provider_tax_id: str = ""
    provider_address: str = ""
    rendering_provider_npis: dict[str, str] = {}
    provider_phone: str = ""
    # The 837P interchange's sender (ISA06, GS02) and receiver (ISA08, GS03): the
    # clearinghouse's ids for the clinic and for itself, and whether files are production.
    x12_sender_id: str = "CLINICGROUP"
    x12_receiver_id: str = "CLEARINGHOUSE"
    x12_receiver_name: str = "CLEARINGHOUSE"
    x12_usage: str = "P"

    @field_validator("no_show_fee_cents", "late_cancel_fee_cents")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("provider_npi")
    @classmethod
    def _npi(cls, value: str) -> str:
        if value and not npi_is_valid(value):
            raise ValueError("is not a valid NPI (10 digits with a Luhn check digit)")
        return value

    @field_validator("rendering_provider_npis")
    @classmethod
    def _npis(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(staff for staff, npi in value.items() if not npi_is_valid(npi))
        if bad:
            raise ValueError(f"not valid NPIs for staff {bad}")
        return value

    @field_validator("x12_sender_id", "x12_receiver_id")
    @classmethod
    def _x12_id(cls, value: str) -> str:
        if not 2 <= len(value) <= 15 or not value.isascii() or any(c in value for c in "~*:^"):
            raise ValueError("must be 2-15 characters without ~ * : ^")
        return value

    @field_validator("x12_usage")
    @classmethod
    def _usage(cls, value: str) -> str:
        if value not in ("P", "T"):
            raise ValueError("must be P (production) or T (test)")
        return value

    @property
    def x12_envelope(self) -> Envelope:
        return Envelope(sender_id=self.x12_sender_id, receiver_id=self.x12_receiver_id,
                        receiver_name=self.x12_receiver_name, usage=self.x12_usage,
                        contact_phone="".join(c for c in self.provider_phone if c.isdigit()))

    @field_validator("provider_tax_id")
    @classmethod
    def _ein(cls, value: str) -> str:
        digits = value.replace("-", "")
        if value and not (len(digits) == 9 and digits.isdigit()):
            raise ValueError("must be the 9 digits of the EIN, such as 12-3456789")
        return digits

    @property
    def billing_provider(self) -> BillingProvider:
        return BillingProvider(
            name=self.provider_name, npi=self.provider_npi,
            tax_id=self.provider_tax_id, address=self.provider_address,
            rendering_npis=dict(self.rendering_provider_npis),
            phone="".join(c for c in self.provider_phone if c.isdigit()))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def policy(self) -> BillingPolicy:
        fees = PolicyFees(no_show_cents=self.no_show_fee_cents,
                          late_cancel_cents=self.late_cancel_fee_cents)
        return BillingPolicy(fees=fees, zone=self.zone,
                             coding=_coding_rules(self.coding_rules_path))


@functools.cache
def _coding_rules(path: Path | None) -> CodingRules:
    return coding_rules.load(path)
