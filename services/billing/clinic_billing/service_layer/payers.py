"""What the billing team does to payers: create, change, delete; and reading them.

Every change takes an optional request id (AIP-155) and records who made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.domain import coding, errors
from clinic_billing.domain.coding import PayerKind
from clinic_billing.domain.payer import Payer
from clinic_billing.service_layer import bookings
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


@dataclass(frozen=True)
class CreatePayer:
    payer_id: str
    display_name: str
    kind: PayerKind | None
    key: RequestKey = NO_KEY
    prior_authorization_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdatePayer:
    payer_id: str
    display_name: str | None = None
    kind: PayerKind | None = None
    key: RequestKey = NO_KEY
    prior_authorization_codes: tuple[str, ...] | None = None


def create_payer(cmd: CreatePayer, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        payer = Payer.create(cmd.payer_id, cmd.display_name, cmd.kind, actor=c.actor, now=c.now,
                             prior_authorization_codes=list(cmd.prior_authorization_codes))
        if uow.payers.get(cmd.payer_id, for_update=True) is not None:
            raise errors.PayerAlreadyExists(cmd.payer_id)
        uow.payers.add(payer)
        return payer.payer_id

    return runner.change("CreatePayer", cmd.key, action)


def update_payer(cmd: UpdatePayer, runner: Billing, rules: coding.CodingRules) -> str:
    """Changes a payer; a change of its kind or of the codes it wants authorized checks the
    upcoming bookings billed to it again (their accounts locked first, in id order)."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        codes = cmd.prior_authorization_codes
        patients = uow.bookings.patients_billing(cmd.payer_id) \
            if codes is not None or cmd.kind is not None else []
        uow.accounts.lock_all(patients)
        payer = _existing(uow, cmd.payer_id, for_update=True)
        payer.change(display_name=cmd.display_name, kind=cmd.kind, actor=c.actor, now=c.now,
                     prior_authorization_codes=list(codes) if codes is not None else None)
        for patient_id in patients:
            bookings.recheck(uow, patient_id, rules, c.now)
        return payer.payer_id

    return runner.change("UpdatePayer", cmd.key, action)


def delete_payer(payer_id: str, key: RequestKey, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        payer = _existing(uow, payer_id, for_update=True)
        if uow.rates.list(payer_id, "", limit=1).items:
            raise errors.PayerHasRates(payer_id)
        uow.payers.delete(payer)
        return payer_id

    return runner.change("DeletePayer", key, action)


def get_payer(payer_id: str, runner: Billing) -> Payer:
    return runner.read(lambda uow: _existing(uow, payer_id))


def list_payers(runner: Billing, *, limit: int, after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.payers.list(limit=limit, after=after))


def _existing(uow: BillingUnitOfWork, payer_id: str, *, for_update: bool = False) -> Payer:
    payer = uow.payers.get(payer_id, for_update=for_update)
    if payer is None:
        raise errors.PayerNotFound(payer_id)
    return payer
