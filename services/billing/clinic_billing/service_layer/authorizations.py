"""Prior authorizations: what the billing team records of them, what charges burn of them,
and which are about to run out.

Burning happens in the transaction that posts the charge (from a completed visit, or by
hand) and giving back in the one that voids it; a charge uses an authorization at most
once (its use is keyed by the charge), so a redelivered event burns nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.adapters.repository import ExpiringFilter
from clinic_billing.domain import coding, errors
from clinic_billing.domain.authorization import (
    AuthorizationUse,
    PriorAuthorization,
    check_charge,
    retro_take,
    units_counted,
)
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import Responsibility
from clinic_billing.service_layer import bookings, messages
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]
UNSET = ...


def burn(uow: BillingUnitOfWork, charge: Charge, now: dt.datetime) -> AuthorizationUse | None:
    """Before ``charge`` is stored: the authorization it uses loses its units (the use is
    returned, to store with the charge), and a charge beyond its authorization is flagged
    and announced (ChargeBeyondAuthorization)."""
    if charge.responsibility != Responsibility.INSURANCE or not charge.payer_id:
        return None
    payer = uow.payers.get(charge.payer_id)
    result = check_charge(
        uow.authorizations.of_payer(charge.patient_id, charge.payer_id),
        procedure_code=charge.procedure_code, service_date=charge.service_date,
        units=charge.units,
        required=payer is not None and payer.requires_authorization(charge.procedure_code))
    use = None
    if result.authorization is not None:
        result.authorization.burn(result.units)
        charge.prior_authorization_id = result.authorization.prior_authorization_id
        use = AuthorizationUse(charge.charge_id, charge.prior_authorization_id, result.units, now)
    if result.problem is not None:
        charge.authorization_problem = result.problem.value
        charge.authorization_problem_detail = result.detail
        uow.emit(messages.charge_beyond_authorization(charge), key=charge.patient_id)
    return use


def give_back(uow: BillingUnitOfWork, charge: Charge, now: dt.datetime) -> None:
    """A voided charge's units go back to its authorization, once."""
    use = uow.authorizations.use_of(charge.charge_id)
    if use is None or use.released:
        return
    auth = uow.authorizations.get(use.prior_authorization_id, for_update=True)
    if auth is not None:
        auth.give_back(use.units)
    use.released_at = now


def retro_apply(uow: BillingUnitOfWork, auth: PriorAuthorization, now: dt.datetime) -> None:
    """A retro authorization: the account's standing charges to its payer, of its codes and in
    its dates, flagged beyond their authorization, now use ``auth`` (in date order, as long
    as its units last) and lose their flag. A charge that went past another authorization
    gives that one its units back."""
    flagged = uow.charges.beyond_authorization(auth.patient_id, auth.payer_id,
                                               auth.procedure_codes, auth.start_date,
                                               auth.end_date)
    for charge in retro_take(auth, flagged):
        units = units_counted(charge.units)
        use = uow.authorizations.use_of(charge.charge_id)
        if use is None:
            uow.authorizations.add_use(AuthorizationUse(
                charge.charge_id, auth.prior_authorization_id, units, now))
        else:
            if not use.released and use.prior_authorization_id != auth.prior_authorization_id:
                previous = uow.authorizations.get(use.prior_authorization_id, for_update=True)
                if previous is not None:
                    previous.give_back(use.units)
            use.prior_authorization_id, use.units, use.released_at = \
                auth.prior_authorization_id, units, None
        charge.prior_authorization_id = auth.prior_authorization_id
        charge.authorization_problem = charge.authorization_problem_detail = ""


@dataclass(frozen=True)
class CreateAuthorization:
    patient_id: str
    payer_id: str
    authorization_number: str
    procedure_codes: tuple[str, ...]
    units_authorized: int
    start_date: dt.date | None
    end_date: dt.date | None
    note: str = ""
    key: RequestKey = NO_KEY


def create_authorization(cmd: CreateAuthorization, runner: Billing,
                         rules: coding.CodingRules) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(cmd.patient_id)
        auth = PriorAuthorization.create(
            patient_id=cmd.patient_id, payer_id=cmd.payer_id,
            authorization_number=cmd.authorization_number,
            procedure_codes=list(cmd.procedure_codes), units_authorized=cmd.units_authorized,
            start_date=cmd.start_date, end_date=cmd.end_date, note=cmd.note, actor=c.actor,
            now=c.now)
        account = uow.accounts.get(cmd.patient_id, for_update=True)
        if account is None:
            raise errors.AccountNotFound(cmd.patient_id)
        account.ensure_open()
        _check_codes(uow, auth.procedure_codes)
        uow.authorizations.add(auth)
        retro_apply(uow, auth, c.now)
        bookings.recheck(uow, auth.patient_id, rules, c.now)
        return auth.prior_authorization_id

    return runner.change("CreatePriorAuthorization", cmd.key, action)


@dataclass(frozen=True)
class UpdateAuthorization:
    patient_id: str
    authorization_id: str
    authorization_number: str | None = None
    procedure_codes: tuple[str, ...] | None = None
    units_authorized: int | None = None
    start_date: object = UNSET
    end_date: object = UNSET
    note: str | None = None
    key: RequestKey = NO_KEY


def update_authorization(cmd: UpdateAuthorization, runner: Billing,
                         rules: coding.CodingRules) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(cmd.patient_id, cmd.authorization_id)
        uow.accounts.lock_all([cmd.patient_id])  # first, as every path to bookings does
        auth = _existing(uow, cmd.patient_id, cmd.authorization_id, for_update=True)
        auth.change(authorization_number=cmd.authorization_number,
                    procedure_codes=list(cmd.procedure_codes)
                    if cmd.procedure_codes is not None else None,
                    units_authorized=cmd.units_authorized, start_date=cmd.start_date,
                    end_date=cmd.end_date, note=cmd.note, actor=c.actor, now=c.now)
        _check_codes(uow, auth.procedure_codes)
        retro_apply(uow, auth, c.now)
        bookings.recheck(uow, auth.patient_id, rules, c.now)
        return auth.prior_authorization_id

    return runner.change("UpdatePriorAuthorization", cmd.key, action)


def void_authorization(patient_id: str, authorization_id: str, reason: str, key: RequestKey,
                       runner: Billing, rules: coding.CodingRules) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(patient_id, authorization_id)
        uow.accounts.lock_all([patient_id])  # first, as every path to bookings does
        auth = _existing(uow, patient_id, authorization_id, for_update=True)
        auth.void(reason, actor=c.actor, now=c.now)
        bookings.recheck(uow, auth.patient_id, rules, c.now)
        return auth.prior_authorization_id

    return runner.change("VoidPriorAuthorization", key, action)


def get_authorization(patient_id: str, authorization_id: str,
                      runner: Billing) -> PriorAuthorization:
    return runner.read(lambda uow: _existing(uow, patient_id, authorization_id))


def list_authorizations(runner: Billing, patient_id: str, payer_id: str, *, limit: int,
                        after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.authorizations.list(patient_id, payer_id, limit=limit,
                                                           after=after))


def list_expiring(runner: Billing, patient_id: str, as_of: dt.date, *, units_at_most: int,
                  within_days: int, limit: int, after: list | None) -> keyset.Page:
    if units_at_most < 0:
        raise errors.field("units_remaining_at_most", "must not be negative")
    if not 0 <= within_days <= 3660:
        raise errors.field("ending_within_days", "must be 0 to 3660")
    flt = ExpiringFilter(patient_id, as_of, units_at_most,
                         as_of + dt.timedelta(days=within_days))
    return runner.read(lambda uow: uow.authorizations.expiring(flt, limit=limit, after=after))


def _existing(uow: BillingUnitOfWork, patient_id: str, authorization_id: str, *,
              for_update: bool = False) -> PriorAuthorization:
    auth = uow.authorizations.get(authorization_id, for_update=for_update)
    if auth is None or auth.patient_id != patient_id:
        raise errors.PriorAuthorizationNotFound(authorization_id)
    return auth


def _check_codes(uow: BillingUnitOfWork, codes: list[str]) -> None:
    for code in codes:
        if uow.fee_schedule.get(code) is None:
            raise errors.ProcedureNotInFeeSchedule(code)
