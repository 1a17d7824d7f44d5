"""Claims: building a draft from charges, and reading claims.

A claim is one patient's standing insurance charges of one coverage and date of
service; a charge is on one claim at most (also under concurrency: the claim line's
key is the charge).
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.adapters.repository import ClaimFilter
from clinic_billing.domain import errors
from clinic_billing.domain.claim import Claim
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


@dataclass(frozen=True)
class CreateClaim:
    patient_id: str
    charge_ids: list[str]
    key: RequestKey = NO_KEY


def create_claim(cmd: CreateClaim, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        if len(set(cmd.charge_ids)) != len(cmd.charge_ids):
            raise errors.field("charges", "names a charge twice")
        account = uow.accounts.get(cmd.patient_id, for_update=True)
        if account is None:
            raise errors.AccountNotFound(cmd.patient_id)
        charges = []
        for charge_id in cmd.charge_ids:
            charge = uow.charges.get(charge_id)
            if charge is None or charge.patient_id != cmd.patient_id:
                raise errors.ChargeNotFound(charge_id)
            claimed = uow.claims.claim_of(charge_id)
            if claimed is not None:
                raise errors.ChargeAlreadyClaimed(charge_id, claimed)
            charges.append(charge)
        claim = Claim.build(cmd.patient_id, charges, actor=c.actor, now=c.now)
        uow.claims.add(claim)
        return claim.claim_id

    return runner.change("CreateClaim", cmd.key, action)


def get_claim(patient_id: str, claim_id: str, runner: Billing) -> Claim:
    def query(uow: BillingUnitOfWork) -> Claim:
        claim = uow.claims.get(claim_id)
        if claim is None or claim.patient_id != patient_id:
            raise errors.ClaimNotFound(claim_id)
        return claim

    return runner.read(query)


def list_claims(runner: Billing, flt: ClaimFilter, *, limit: int,
                after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.claims.list(flt, limit=limit, after=after))
