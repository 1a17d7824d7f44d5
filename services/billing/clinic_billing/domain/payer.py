"""Payers the billing team keeps, and who bills them: the billing provider and its NPIs."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.coding import PayerKind

MAX_NAME = 200


@dataclass
class Payer:
    """An insurer, by its EDI payer id (as coverages name it), and its kind."""

    payer_id: str
    display_name: str
    kind: PayerKind
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)
    updated_by: str = field(default="", kw_only=True)
    # The codes it pays only with a prior authorization; None (as stored before 0012) is none.
    prior_authorization_codes: list[str] | None = field(default=None, kw_only=True)

    @classmethod
    def create(cls, payer_id: str, display_name: str, kind: PayerKind | None, *,
               actor: str, now: dt.datetime,
               prior_authorization_codes: list[str] | None = None) -> Payer:
        return cls(payer_id, _display_name(display_name), _kind(kind), created_at=now,
                   updated_at=now, updated_by=actor,
                   prior_authorization_codes=_auth_codes(prior_authorization_codes or []))

    def change(self, *, display_name: str | None, kind: PayerKind | None, actor: str,
               now: dt.datetime, prior_authorization_codes: list[str] | None = None) -> None:
        """Changes the fields given (None leaves one as it is)."""
        if display_name is not None:
            self.display_name = _display_name(display_name)
        if kind is not None:
            self.kind = kind
        if prior_authorization_codes is not None:
            self.prior_authorization_codes = _auth_codes(prior_authorization_codes)
        self.updated_at, self.updated_by = now, actor

    def requires_authorization(self, procedure_code: str) -> bool:
        return procedure_code in (self.prior_authorization_codes or [])


def _display_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise errors.field("payer.display_name", "is required")
    if len(value) > MAX_NAME:
        raise errors.field("payer.display_name", f"takes at most {MAX_NAME} characters")
    return value


_CODE = re.compile(r"[A-Z0-9]{5}")


def _auth_codes(codes: list[str]) -> list[str]:
    cleaned = sorted({c.strip().upper() for c in codes})
    for code in cleaned:
        if not _CODE.fullmatch(code):
            raise errors.field("payer.prior_authorization_codes",
                               f"{code!r} is not a 5-character CPT or HCPCS code")
    return cleaned


def _kind(kind: PayerKind | None) -> PayerKind:
    if kind is None:
        raise errors.field("payer.kind", "is required: MEDICARE, MEDICAID or COMMERCIAL")
    return kind


def npi_is_valid(npi: str) -> bool:
    """Whether ``npi`` is a well-formed National Provider Identifier: 10 digits whose last is
    the Luhn check digit of the first nine prefixed with 80840 (the NPI's ISO card issuer
    prefix), as CMS's NPI check digit algorithm says."""
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


def checked_npi(npi: str, field_name: str) -> str:
    if not npi_is_valid(npi):
        raise errors.field(field_name, "is not a valid NPI (10 digits with a Luhn check digit)")
    return npi


@dataclass(frozen=True)
class RenderingName:
    """A rendering provider's name as the 837P writes it (NM1*82) and their taxonomy."""

    last_name: str
    first_name: str
    credentials: str = ""
    taxonomy_code: str = ""

    @property
    def display(self) -> str:
        """"Anna Lee, MD", as a superbill shows it."""
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credentials}" if self.credentials else name


@dataclass(frozen=True)
class BillingProvider:
    """Who claims go out from (837P loop 2010AA) and the NPI of each rendering provider:
    a version kept over the API (``version_id``) or the settings (``version_id`` empty)."""

    name: str = ""
    npi: str = ""
    tax_id: str = ""  # the EIN, 9 digits
    address: str = ""
    rendering_npis: dict[str, str] = field(default_factory=dict)  # staff id -> NPI
    rendering_names: dict[str, RenderingName] = field(default_factory=dict)  # kept ones only
    taxonomy_code: str = ""
    phone: str = ""  # digits; empty: the settings' phone
    version_id: str = ""

    def __post_init__(self):
        if self.npi:
            checked_npi(self.npi, "npi")
        if self.tax_id and not (len(self.tax_id) == 9 and self.tax_id.isdigit()):
            raise errors.field("tax_id", "must be the 9 digits of the EIN")
        for staff_id, npi in self.rendering_npis.items():
            checked_npi(npi, f"rendering_npis[{staff_id}]")

    def postal_address(self) -> tuple[str, str, str, str] | None:
        """(street, city, state, ZIP) of an address written "street, city, ST ZIP" (or
        "street, city, ST, ZIP"); None when it is not in that form."""
        parts = [p.strip() for p in self.address.split(",") if p.strip()]
        if len(parts) == 4:
            parts = [parts[0], parts[1], f"{parts[2]} {parts[3]}"]
        if len(parts) != 3:
            return None
        match = re.fullmatch(r"([A-Za-z]{2})\s+(\d{5})(?:-?(\d{4}))?", parts[2])
        if not match:
            return None
        return parts[0], parts[1], match[1].upper(), match[2] + (match[3] or "")

    @property
    def complete(self) -> bool:
        """Whether claims can go out from it: name, NPI, tax id and a postal address."""
        return bool(self.name and self.npi and self.tax_id and self.postal_address())

    def rendering_npi(self, staff_id: str) -> str:
        """The NPI of a rendering provider; empty when the clinic has not given it."""
        return self.rendering_npis.get(staff_id, "")
