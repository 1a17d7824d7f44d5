"""Payers' contracted rates: what the billing team records, changes and deletes.

Two rates of one payer, code and modifier never price the same day; the payer must
be kept and the code in the fee schedule. Every change records who made it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.domain import errors
from clinic_billing.domain.contract import ContractedRate, ensure_no_overlap
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]
UNSET = object()  # an update that leaves effective_to as it is


@dataclass(frozen=True)
class CreateRate:
    payer_id: str
    procedure_code: str
    allowed_cents: int
    modifier: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    key: RequestKey = NO_KEY


@dataclass(frozen=True)
class UpdateRate:
    payer_id: str
    rate_id: str
    allowed_cents: int | None = None
    effective_to: object = UNSET  # a date, None to open the end, or UNSET
    key: RequestKey = NO_KEY


def create_rate(cmd: CreateRate, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        code = cmd.procedure_code.strip().upper()
        if not code:
            raise errors.field("rate.procedure_code", "is required")
        rate = ContractedRate(
            rate_id=uuid.uuid4().hex, payer_id=cmd.payer_id, procedure_code=code,
            allowed_cents=cmd.allowed_cents, modifier=cmd.modifier.strip().upper(),
            effective_from=cmd.effective_from, effective_to=cmd.effective_to,
            updated_at=c.now, updated_by=c.actor)
        if uow.payers.get(cmd.payer_id, for_update=True) is None:
            raise errors.PayerNotFound(cmd.payer_id)
        if uow.fee_schedule.get(code) is None:
            raise errors.ProcedureNotInFeeSchedule(code)
        ensure_no_overlap(rate, uow.rates.of(rate.payer_id, code, rate.modifier))
        uow.rates.add(rate)
        return rate.rate_id

    return runner.change("CreateContractedRate", cmd.key, action)


def update_rate(cmd: UpdateRate, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        if uow.payers.get(cmd.payer_id, for_update=True) is None:
            raise errors.PayerNotFound(cmd.payer_id)
        rate = _existing(uow, cmd.payer_id, cmd.rate_id, for_update=True)
        if cmd.allowed_cents is not None:
            rate.allowed_cents = cmd.allowed_cents
        if cmd.effective_to is not UNSET:
            rate.effective_to = cmd.effective_to
        rate.check()
        ensure_no_overlap(rate, uow.rates.of(rate.payer_id, rate.procedure_code, rate.modifier))
        rate.updated_at, rate.updated_by = c.now, c.actor
        return rate.rate_id

    return runner.change("UpdateContractedRate", cmd.key, action)


def delete_rate(payer_id: str, rate_id: str, key: RequestKey, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        uow.rates.delete(_existing(uow, payer_id, rate_id, for_update=True))
        return rate_id

    return runner.change("DeleteContractedRate", key, action)


def get_rate(payer_id: str, rate_id: str, runner: Billing) -> ContractedRate:
    return runner.read(lambda uow: _existing(uow, payer_id, rate_id))


def list_rates(payer_id: str, procedure_code: str, runner: Billing, *, limit: int,
               after: list | None) -> keyset.Page:
    def query(uow: BillingUnitOfWork) -> keyset.Page:
        if uow.payers.get(payer_id) is None:
            raise errors.PayerNotFound(payer_id)
        return uow.rates.list(payer_id, procedure_code.strip().upper(), limit=limit, after=after)

    return runner.read(query)


def _existing(uow: BillingUnitOfWork, payer_id: str, rate_id: str, *,
              for_update: bool = False) -> ContractedRate:
    rate = uow.rates.get(rate_id, for_update=for_update)
    if rate is None or rate.payer_id != payer_id:
        raise errors.RateNotFound(payer_id, rate_id)
    return rate
