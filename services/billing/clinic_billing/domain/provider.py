"""The clinic's provider identities as the billing team keeps them.

The billing provider (who claims go out from, and who heads a superbill) is kept as
dated versions: a change adds a version in force from its date on, until one with a
later date (of two from one date, the later set); nothing is edited in place, so a
claim batch names the version it went out from. Rendering providers are the clinicians
whose services are billed, by staff id: their names and NPIs (837P loop 2310B).

Before any version is set, the BILLING_PROVIDER_* settings are the billing provider;
a staff id without a rendering provider falls back to BILLING_RENDERING_PROVIDER_NPIS.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.model import sortable_id
from clinic_billing.domain.payer import BillingProvider, RenderingName, checked_npi

_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")
_STATE = re.compile(r"[A-Z]{2}")
_BAD = set("~*:^")


def _text(value: str, name: str, limit: int, *, required: bool = True) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise errors.field(name, "is required")
    if len(value) > limit:
        raise errors.field(name, f"must be at most {limit} characters")
    if not value.isascii() or any(c in _BAD for c in value):
        raise errors.field(name, "must be plain ASCII without ~ * : ^ (it goes into the 837P)")
    return value


def checked_taxonomy(value: str, name: str) -> str:
    value = value.strip().upper()
    if value and not _TAXONOMY.fullmatch(value):
        raise errors.field(name, "is not a provider taxonomy code (10 characters ending in X, "
                                 "such as 261QM0801X)")
    return value


@dataclass
class BillingProviderVersion:
    """One version of the billing provider, in force from ``effective_from`` on."""

    organization_name: str
    npi: str
    tax_id: str
    taxonomy_code: str
    street: str
    city: str
    state: str
    postal_code: str
    phone: str
    effective_from: dt.date
    created_at: dt.datetime
    created_by: str
    version_id: str = field(default_factory=sortable_id)

    def __post_init__(self):
        self.organization_name = _text(self.organization_name,
                                       "billing_provider.organization_name", 60)
        self.npi = checked_npi(self.npi.strip(), "billing_provider.npi")
        digits = self.tax_id.replace("-", "").strip()
        if not (len(digits) == 9 and digits.isdigit()):
            raise errors.field("billing_provider.tax_id", "must be the 9 digits of the EIN, "
                                                          "such as 12-3456789")
        self.tax_id = digits
        self.taxonomy_code = checked_taxonomy(self.taxonomy_code,
                                              "billing_provider.taxonomy_code")
        self.street = _text(self.street, "billing_provider.address.street", 55)
        self.city = _text(self.city, "billing_provider.address.city", 30)
        self.state = self.state.strip().upper()
        if not _STATE.fullmatch(self.state):
            raise errors.field("billing_provider.address.state", "must be a two-letter state code")
        zip_digits = self.postal_code.replace("-", "").strip()
        if not (len(zip_digits) == 9 and zip_digits.isdigit()):
            raise errors.field("billing_provider.address.postal_code",
                               "must be the 9-digit ZIP+4 an 837P needs for the billing "
                               "provider, such as 92008-1234")
        self.postal_code = zip_digits
        phone = "".join(c for c in self.phone if c.isdigit())
        if self.phone.strip() and len(phone) != 10:
            raise errors.field("billing_provider.phone", "must be 10 digits")
        self.phone = phone

    def provider(self, fallback: BillingProvider) -> BillingProvider:
        """As claims use it; the rendering providers stay ``fallback``'s."""
        return dataclasses.replace(
            fallback, name=self.organization_name, npi=self.npi, tax_id=self.tax_id,
            address=f"{self.street}, {self.city}, {self.state} "
                    f"{self.postal_code[:5]}-{self.postal_code[5:]}",
            taxonomy_code=self.taxonomy_code, phone=self.phone, version_id=self.version_id)


@dataclass
class RenderingProvider:
    """A clinician billed as rendering provider, by staff id (changed in place; who and
    when are kept)."""

    staff_id: str
    first_name: str
    last_name: str
    credentials: str
    npi: str
    taxonomy_code: str
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str

    def __post_init__(self):
        self._check()

    def _check(self) -> None:
        self.first_name = _text(self.first_name, "rendering_provider.first_name", 35)
        self.last_name = _text(self.last_name, "rendering_provider.last_name", 60)
        self.credentials = _text(self.credentials, "rendering_provider.credentials", 20,
                                 required=False)
        self.npi = checked_npi(self.npi.strip(), "rendering_provider.npi")
        self.taxonomy_code = checked_taxonomy(self.taxonomy_code,
                                              "rendering_provider.taxonomy_code")

    def change(self, changes: dict[str, str], *, actor: str, now: dt.datetime) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self._check()
        self.updated_at, self.updated_by = now, actor

    @property
    def rendering_name(self) -> RenderingName:
        return RenderingName(self.last_name, self.first_name, self.credentials,
                             self.taxonomy_code)


def effective(fallback: BillingProvider, version: BillingProviderVersion | None,
              rendering: list[RenderingProvider]) -> BillingProvider:
    """The billing provider claims use: ``version`` (else the settings' ``fallback``),
    with the kept rendering providers' NPIs and names over the settings' NPIs."""
    provider = version.provider(fallback) if version is not None else fallback
    return dataclasses.replace(
        provider, rendering_npis={**fallback.rendering_npis,
                                  **{r.staff_id: r.npi for r in rendering}},
        rendering_names={r.staff_id: r.rendering_name for r in rendering})
