"""Superbills: what a self-pay patient sends their insurer for out-of-network reimbursement.

A superbill lists the services the patient paid for themselves over dates of service
(code with its description and modifiers, diagnosis codes, date and place of service,
units, the rendering provider's NPI, the amount charged), who billed them (the billing
provider's name, address, NPI and tax id) and what the patient paid. Insurance-billed
charges are left off (the clinic claims those itself), as are policy fees (a no-show is
no service) and voided charges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import (
    ChargeSource,
    ChargeState,
    LedgerEntry,
    Responsibility,
)
from clinic_billing.domain.payer import BillingProvider

OFFICE = "11"  # CMS place of service: the clinics' services are given in their offices
POLICY_FEES = {ChargeSource.NO_SHOW_FEE, ChargeSource.LATE_CANCEL_FEE}


@dataclass(frozen=True)
class SuperbillLine:
    charge: Charge
    description: str
    rendering_npi: str
    paid_cents: int
    place_of_service: str = OFFICE


@dataclass(frozen=True)
class Superbill:
    patient_id: str
    start: dt.date
    end: dt.date
    provider: BillingProvider
    lines: list[SuperbillLine]
    produced_at: dt.datetime

    @property
    def paid_cents(self) -> int:
        return sum(line.paid_cents for line in self.lines)

    @property
    def charged_cents(self) -> int:
        return sum(line.charge.amount_cents for line in self.lines)

    @property
    def diagnosis_codes(self) -> list[str]:
        return list(dict.fromkeys(code for line in self.lines
                                  for code in line.charge.diagnosis_codes))

    @property
    def filename(self) -> str:
        return f"superbill-{self.patient_id}-{self.start:%Y%m%d}-{self.end:%Y%m%d}.pdf"


def on_superbill(charge: Charge) -> bool:
    """A standing service the patient is responsible for."""
    return (charge.state == ChargeState.POSTED and charge.responsibility == Responsibility.PATIENT
            and charge.source not in POLICY_FEES)


def paid_by_charge(entries: list[LedgerEntry], charges: list[Charge]) -> dict[str, int]:
    """What the patient paid toward each of their charges: their payments less refunds
    (entries on no charge) applied to what they owe on each charge (its entries'
    patient amounts), oldest date of service first, as the AR aging applies credits."""
    owed: dict[str, int] = {}
    credit = 0
    for e in entries:
        if e.charge_id is None:
            credit -= e.patient_cents
        else:
            owed[e.charge_id] = owed.get(e.charge_id, 0) + e.patient_cents
    paid: dict[str, int] = {}
    for c in sorted(charges, key=lambda c: (c.service_date, c.charge_id)):
        take = max(0, min(owed.get(c.charge_id, 0), credit))
        paid[c.charge_id], credit = take, credit - take
    return paid


def superbill(patient_id: str, start: dt.date, end: dt.date, charges: list[Charge],
              descriptions: dict[str, str], provider: BillingProvider, paid: dict[str, int],
              now: dt.datetime) -> Superbill:
    """The superbill of ``charges`` (the account's, any dates); refused when the billing
    provider or a rendering provider's NPI is missing (the insurer needs them), or when no
    self-pay service falls in the dates."""
    lines = sorted((c for c in charges if on_superbill(c) and start <= c.service_date <= end),
                   key=lambda c: (c.service_date, c.charge_id))
    if not lines:
        raise errors.NoSuperbillCharges(patient_id, start, end)
    if not (provider.name and provider.npi and provider.tax_id and provider.postal_address()):
        raise errors.SuperbillNotReady(patient_id, "BILLING_PROVIDER_INCOMPLETE",
                                       "the billing provider's name, NPI, tax id or postal "
                                       "address is not set")
    for c in lines:
        if not provider.rendering_npi(c.rendering_provider_id):
            raise errors.SuperbillNotReady(
                patient_id, "RENDERING_NPI_MISSING",
                f"no NPI for rendering provider {c.rendering_provider_id!r}", c.charge_id)
    return Superbill(patient_id, start, end, provider, [
        SuperbillLine(c, descriptions.get(c.procedure_code, ""),
                      provider.rendering_npi(c.rendering_provider_id),
                      paid.get(c.charge_id, 0)) for c in lines], now)
