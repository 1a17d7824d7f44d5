"""Secondary claims (coordination of benefits): once the primary payer's remittance is
posted, the billing team builds the claim to the patient's next coverage, carrying what the
primary paid and adjusted; the patient's share the primary assigned is then expected from
the secondary payer (a COB transfer on the ledger), and back again if the claim is voided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.adapters import x12_835
from clinic_billing.domain import errors
from clinic_billing.domain.claim import Claim
from clinic_billing.domain.cob import PrimaryAdjudication, secondary_coverage
from clinic_billing.domain.coding import payer_kind_of
from clinic_billing.domain.model import EntryKind, LedgerEntry
from clinic_billing.service_layer.accounts import announce_balance
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


@dataclass(frozen=True)
class CreateSecondaryClaim:
    patient_id: str
    primary_claim_id: str
    key: RequestKey = NO_KEY


def create_secondary_claim(cmd: CreateSecondaryClaim, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(cmd.patient_id, cmd.primary_claim_id)
        if uow.accounts.get(cmd.patient_id, for_update=True) is None:
            raise errors.AccountNotFound(cmd.patient_id)
        primary = uow.claims.get(cmd.primary_claim_id, for_update=True)
        if primary is None or primary.patient_id != cmd.patient_id:
            raise errors.ClaimNotFound(cmd.primary_claim_id)
        existing = uow.claims.secondary_of(primary.claim_id)
        if existing is not None:
            raise errors.SecondaryClaimExists(primary.claim_id, existing.claim_id)
        decision = _primary_decision(uow, primary)
        coverages = uow.coverages.for_patient(cmd.patient_id)
        primary_coverage = next((cv for cv in coverages if cv.coverage_id == primary.coverage_id),
                                None)
        coverage = secondary_coverage(coverages, primary_coverage, primary.service_date)
        if coverage is None:
            raise errors.NoSecondaryCoverage(cmd.patient_id, primary.service_date)
        claim = primary.secondary(coverage.coverage_id, coverage.payer_id,
                                  decision.as_stored(), actor=c.actor, now=c.now)
        uow.claims.add(claim)
        uow.claims.add_transition(claim.created())
        for entry in _transfers(uow, primary, claim, c.now):
            uow.ledger.add(entry)
        announce_balance(uow, cmd.patient_id, c.now)
        return claim.claim_id

    return runner.change("CreateSecondaryClaim", cmd.key, action)


def _primary_decision(uow: BillingUnitOfWork, primary: Claim) -> PrimaryAdjudication:
    """What the primary payer decided, read from its standing remittance (the claim is
    refused before, unless paid, partially paid or denied)."""
    if primary.is_secondary:
        raise errors.ClaimIsSecondary(primary.claim_id, primary.primary_claim_id)
    posting = uow.remittances.standing_posting(primary.claim_id)
    remittance = uow.remittances.get(posting.remittance_id) if posting else None
    if posting is None or remittance is None:
        raise errors.PrimaryNotAdjudicated(primary.claim_id, primary.state)
    era = x12_835.reread(remittance.content)
    payment = era.claims[posting.position - 1]
    payer = uow.payers.get(primary.payer_id)
    coverage = uow.coverages.get(primary.coverage_id)
    kind = payer.kind if payer else payer_kind_of(coverage.plan_type if coverage else "")
    charges = [ch for ch in (uow.charges.get(i) for i in primary.charge_ids) if ch is not None]
    return PrimaryAdjudication.of(
        primary, payment, charges, coverage=coverage,
        payer_name=payer.display_name if payer else era.payer_name, filing_kind=str(kind),
        adjudicated_on=remittance.payment_date or remittance.created_at.date())


def _transfers(uow: BillingUnitOfWork, primary: Claim, secondary: Claim,
               now: dt.datetime) -> list[LedgerEntry]:
    """The patient's share of each charge, as the primary's standing posting put it, moved
    to insurance: the secondary payer is expected to pay it now."""
    posting = uow.remittances.standing_posting(primary.claim_id)
    shares: dict[str, int] = {}
    for entry in uow.ledger.of_remittance_claim(primary.claim_id, posting.remittance_id):
        if entry.kind == EntryKind.PATIENT_RESPONSIBILITY and entry.charge_id:
            shares[entry.charge_id] = shares.get(entry.charge_id, 0) + entry.patient_cents
    return [LedgerEntry(patient_id=primary.patient_id, charge_id=charge_id,
                        kind=EntryKind.COB_TRANSFER, patient_cents=-cents,
                        insurance_cents=cents, posted_at=now, claim_id=secondary.claim_id,
                        reason=f"COB {primary.claim_id}")
            for charge_id, cents in shares.items() if cents]


def transfers_back(uow: BillingUnitOfWork, claim: Claim, now: dt.datetime) -> None:
    """A voided secondary claim hands the patient's share back to the patient (the claim's
    owner now: after a merge, the survivor)."""
    if not claim.is_secondary:
        return
    moved = [e for e in uow.ledger.of_claim(claim.claim_id) if e.kind == EntryKind.COB_TRANSFER]
    for entry in moved:
        uow.ledger.add(LedgerEntry(
            patient_id=claim.patient_id, charge_id=entry.charge_id, kind=EntryKind.COB_TRANSFER,
            patient_cents=-entry.patient_cents, insurance_cents=-entry.insurance_cents,
            posted_at=now, claim_id=claim.claim_id, reason=f"VOID {entry.reason}"[:64]))
    if moved:
        announce_balance(uow, claim.patient_id, now)
