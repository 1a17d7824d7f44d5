"""Coordination of benefits: what the primary payer decided, carried on the claim to the
patient's secondary coverage (837P loops 2320/2330A/2330B and 2430).

The facts are taken from the primary's remittance (its CLP, CAS and SVC lines) exactly as
the payer stated them, and kept on the secondary claim as a snapshot: a later reversal
of the primary's answer does not rewrite a claim already built from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.remittance import Adjustment, ClaimPayment, match_lines


@dataclass(frozen=True)
class LineAdjudication:
    """What the primary paid and adjusted on one of our charges (837P loop 2430)."""

    charge_id: str
    paid_cents: int
    adjustments: tuple[Adjustment, ...]


@dataclass(frozen=True)
class PrimaryAdjudication:
    """The primary payer's decision on a claim, as the secondary claim reports it."""

    primary_claim_id: str
    payer_id: str
    payer_name: str
    filing_kind: str  # the primary payer's kind: MEDICARE, MEDICAID or COMMERCIAL
    member_id: str
    group_number: str
    paid_cents: int
    patient_cents: int
    adjudicated_on: dt.date
    claim_adjustments: tuple[Adjustment, ...]
    lines: tuple[LineAdjudication, ...]

    @classmethod
    def of(cls, primary: Claim, payment: ClaimPayment, charges: list[Charge], *,
           coverage: Coverage | None, payer_name: str, filing_kind: str,
           adjudicated_on: dt.date) -> PrimaryAdjudication:
        """The decision in ``payment`` (the primary's standing CLP) on ``charges``."""
        pairs, _ = match_lines(payment.services, charges)
        return cls(
            primary_claim_id=primary.claim_id, payer_id=primary.payer_id,
            payer_name=payer_name, filing_kind=filing_kind,
            member_id=coverage.member_id if coverage else "",
            group_number=coverage.group_number if coverage else "",
            paid_cents=payment.paid_cents, patient_cents=payment.patient_cents,
            adjudicated_on=adjudicated_on, claim_adjustments=payment.adjustments,
            lines=tuple(LineAdjudication(charge.charge_id, service.paid_cents,
                                         service.adjustments) for service, charge in pairs))

    def as_stored(self) -> dict:
        def adjustments(items) -> list[list]:
            return [[a.group, a.reason, a.cents] for a in items]
        return {"primary_claim_id": self.primary_claim_id, "payer_id": self.payer_id,
                "payer_name": self.payer_name, "filing_kind": self.filing_kind,
                "member_id": self.member_id, "group_number": self.group_number,
                "paid_cents": self.paid_cents, "patient_cents": self.patient_cents,
                "adjudicated_on": self.adjudicated_on.isoformat(),
                "claim_adjustments": adjustments(self.claim_adjustments),
                "lines": [{"charge_id": line.charge_id, "paid_cents": line.paid_cents,
                           "adjustments": adjustments(line.adjustments)}
                          for line in self.lines]}

    @classmethod
    def stored(cls, facts: dict) -> PrimaryAdjudication:
        def adjustments(items) -> tuple[Adjustment, ...]:
            return tuple(Adjustment(g, r, int(c)) for g, r, c in items)
        return cls(
            primary_claim_id=facts["primary_claim_id"], payer_id=facts["payer_id"],
            payer_name=facts["payer_name"], filing_kind=facts["filing_kind"],
            member_id=facts["member_id"], group_number=facts["group_number"],
            paid_cents=int(facts["paid_cents"]), patient_cents=int(facts["patient_cents"]),
            adjudicated_on=dt.date.fromisoformat(facts["adjudicated_on"]),
            claim_adjustments=adjustments(facts["claim_adjustments"]),
            lines=tuple(LineAdjudication(line["charge_id"], int(line["paid_cents"]),
                                         adjustments(line["adjustments"]))
                        for line in facts["lines"]))

    def line(self, charge_id: str) -> LineAdjudication | None:
        return next((line for line in self.lines if line.charge_id == charge_id), None)


def secondary_coverage(coverages: list[Coverage], primary: Coverage | None,
                       day: dt.date) -> Coverage | None:
    """The coverage that pays after the primary's on ``day``: in force, not the primary's,
    of the lowest priority number above the primary's."""
    primary_id = primary.coverage_id if primary else ""
    floor = primary.priority if primary else 0
    others = [c for c in coverages if c.coverage_id != primary_id and c.active_on(day)]
    after = sorted((c for c in others if c.priority > floor), key=lambda c: c.priority)
    return after[0] if after else None
