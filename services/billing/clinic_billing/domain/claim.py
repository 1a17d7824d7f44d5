"""Claims: one payer, one patient, one coverage and one date of service, built from charges.

A claim is made a draft; submitting it (837P) and posting remittances (835) move it on in
later steps. A charge is on one claim at most.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import ChargeState, Responsibility, sortable_id

MAX_LINES = 50  # service lines an 837P claim may carry (loop 2400 repeats up to 50)


class ClaimState(enum.StrEnum):
    DRAFT = "DRAFT"
    READY = "READY"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    DENIED = "DENIED"
    APPEALED = "APPEALED"
    CLOSED = "CLOSED"
    VOID = "VOID"


@dataclass
class Claim:
    patient_id: str
    coverage_id: str
    payer_id: str
    service_date: dt.date
    charge_ids: list[str]
    total_charge_cents: int
    total_allowed_cents: int
    state: ClaimState = ClaimState.DRAFT
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)
    updated_by: str = field(default="", kw_only=True)
    claim_id: str = field(default_factory=sortable_id, kw_only=True)

    @classmethod
    def build(cls, patient_id: str, charges: list[Charge], *, actor: str,
              now: dt.datetime) -> Claim:
        """A draft claim of ``charges``, which must be standing insurance charges of one
        coverage and date of service (the caller checks they are on no other claim)."""
        if not charges:
            raise errors.field("charges", "name at least one charge")
        if len(charges) > MAX_LINES:
            raise errors.field("charges", f"a claim takes at most {MAX_LINES} lines")
        for charge in charges:
            if charge.state != ChargeState.POSTED:
                raise errors.ChargeNotClaimable(charge.charge_id, "it is voided")
            if charge.responsibility != Responsibility.INSURANCE:
                raise errors.ChargeNotClaimable(charge.charge_id, "the patient pays it")
        first = charges[0]
        for charge in charges[1:]:
            if (charge.coverage_id, charge.service_date) != (first.coverage_id, first.service_date):
                raise errors.ChargesNotOnOneClaim(first.charge_id, charge.charge_id)
        return cls(patient_id=patient_id, coverage_id=first.coverage_id, payer_id=first.payer_id,
                   service_date=first.service_date, charge_ids=[c.charge_id for c in charges],
                   total_charge_cents=sum(c.amount_cents for c in charges),
                   total_allowed_cents=sum(c.allowed_cents for c in charges),
                   created_at=now, updated_at=now, updated_by=actor)


@dataclass
class ClaimLine:
    """A charge on a claim; a charge has one line at most (the table's key)."""

    charge_id: str
    claim_id: str
    line_number: int
