"""Claims: building a draft from charges, making it ready, voiding it, exporting ready
claims as an 837P batch, and reading claims.

A claim is one patient's standing insurance charges of one coverage and date of
service; a charge is on one claim at most (also under concurrency: the claim line's
key is the charge).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.adapters import x12_837
from clinic_billing.adapters.repository import ClaimFilter
from clinic_billing.domain import errors
from clinic_billing.domain.claim import Claim, ClaimBatch, Subscriber, readiness_problems
from clinic_billing.domain.cob import PrimaryAdjudication
from clinic_billing.domain.coding import payer_kind_of
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.service_layer import providers, secondary_claims
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
        uow.claims.add_transition(claim.created())
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


MAX_BATCH = 100


@dataclass(frozen=True)
class MarkClaimReady:
    patient_id: str
    claim_id: str
    subscriber: Subscriber
    key: RequestKey = NO_KEY


def _claim_for_update(uow: BillingUnitOfWork, patient_id: str, claim_id: str) -> Claim:
    claim = uow.claims.get(claim_id, for_update=True)
    if claim is None or claim.patient_id != patient_id:
        raise errors.ClaimNotFound(claim_id)
    return claim


def mark_claim_ready(cmd: MarkClaimReady, settings_provider: BillingProvider, runner: Billing,
                     today: Callable[[dt.datetime], dt.date]) -> str:
    """Checks the claim against the billing provider in force today (the settings' before
    any version) and the rendering providers kept."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(cmd.patient_id, cmd.claim_id)
        provider = providers.in_force(uow, settings_provider, today(c.now))
        subscriber = cmd.subscriber.checked(today(c.now))
        claim = _claim_for_update(uow, cmd.patient_id, cmd.claim_id)
        charges = [uow.charges.get(charge_id) for charge_id in claim.charge_ids]
        coverage = uow.coverages.get(claim.coverage_id)
        problems = readiness_problems(
            claim, [ch for ch in charges if ch is not None],
            coverage_active=coverage is not None and coverage.active_on(claim.service_date),
            payer_known=uow.payers.get(claim.payer_id) is not None,
            provider_complete=provider.complete, rendering_npi=provider.rendering_npis)
        uow.claims.add_transition(claim.mark_ready(subscriber, problems, actor=c.actor,
                                                   now=c.now))
        return claim.claim_id

    return runner.change("MarkClaimReady", cmd.key, action)


@dataclass(frozen=True)
class VoidClaim:
    patient_id: str
    claim_id: str
    reason: str
    key: RequestKey = NO_KEY


def void_claim(cmd: VoidClaim, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(cmd.patient_id, cmd.claim_id)
        claim = _claim_for_update(uow, cmd.patient_id, cmd.claim_id)
        uow.claims.add_transition(claim.void(cmd.reason, actor=c.actor, now=c.now))
        uow.claims.release_lines(claim)
        secondary_claims.transfers_back(uow, claim, c.now)
        return claim.claim_id

    return runner.change("VoidClaim", cmd.key, action)


@dataclass(frozen=True)
class MoveClaim:
    """A step staff take on a sent claim: accepted (with the payer's number and the day it
    acknowledged it), appealed (with a note and the day), or closed (with a reason)."""

    patient_id: str
    claim_id: str
    to: str  # "ACCEPTED", "APPEALED" or "CLOSED"
    note: str = ""
    reference: str = ""
    on: dt.date | None = None
    key: RequestKey = NO_KEY


METHODS = {"ACCEPTED": "MarkClaimAccepted", "APPEALED": "AppealClaim", "CLOSED": "CloseClaim"}


def move_claim(cmd: MoveClaim, runner: Billing, today: Callable[[dt.datetime], dt.date]) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        c.concerns(cmd.patient_id, cmd.claim_id)
        on = _day(cmd.on, today(c.now), required=cmd.to == "APPEALED")
        claim = _claim_for_update(uow, cmd.patient_id, cmd.claim_id)
        if cmd.to == "ACCEPTED":
            step = claim.accept(cmd.reference, on, actor=c.actor, now=c.now)
        elif cmd.to == "APPEALED":
            step = claim.appeal(cmd.note, on, actor=c.actor, now=c.now)
        else:
            step = claim.close(cmd.note, actor=c.actor, now=c.now)
        uow.claims.add_transition(step)
        return claim.claim_id

    return runner.change(METHODS[cmd.to], cmd.key, action)


def _day(day: dt.date | None, today: dt.date, *, required: bool) -> dt.date:
    """The day a step happened: today when not given (unless ``required``), never later."""
    field = "appeal_date" if required else "accept_date"
    if day is None:
        if required:
            raise errors.field(field, "is required")
        return today
    if day > today:
        raise errors.field(field, "is in the future")
    return day


def claim_history(patient_id: str, claim_id: str, runner: Billing, *, limit: int,
                  after: list | None) -> keyset.Page:
    def query(uow: BillingUnitOfWork) -> keyset.Page:
        claim = uow.claims.get(claim_id)
        if claim is None or claim.patient_id != patient_id:
            raise errors.ClaimNotFound(claim_id)
        return uow.claims.history(claim_id, limit=limit, after=after)

    return runner.read(query)


@dataclass(frozen=True)
class ExportClaims:
    claims: list[tuple[str, str]]  # (patient id, claim id)
    key: RequestKey = NO_KEY


def export_claims(cmd: ExportClaims, settings_provider: BillingProvider,
                  envelope: x12_837.Envelope, runner: Billing,
                  today: Callable[[dt.datetime], dt.date]) -> str:
    """Writes the ready claims to one 837P file from the billing provider in force today
    (the settings' before any version; the batch names the version), stores the batch and
    submits the claims; returns the batch id. Any claim not ready refuses the whole batch."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        provider = providers.in_force(uow, settings_provider, today(c.now))
        env = (dataclasses.replace(envelope, contact_phone=provider.phone) if provider.phone
               else envelope)
        if not cmd.claims:
            raise errors.field("claims", "name at least one claim")
        if len(cmd.claims) > MAX_BATCH:
            raise errors.field("claims", f"a batch takes at most {MAX_BATCH} claims")
        if len({claim_id for _, claim_id in cmd.claims}) != len(cmd.claims):
            raise errors.field("claims", "names a claim twice")
        batch = ClaimBatch(ClaimBatch.next_control_number(uow.claims.last_control_number()),
                           [claim_id for _, claim_id in cmd.claims], "", created_at=c.now,
                           created_by=c.actor,
                           billing_provider_version_id=provider.version_id or None)
        to_send = []
        for patient_id, claim_id in cmd.claims:
            c.concerns(patient_id, claim_id)
            claim = _claim_for_update(uow, patient_id, claim_id)
            to_send.append(_to_send(uow, claim))
            uow.claims.add_transition(claim.submit(batch.batch_id, actor=c.actor, now=c.now))
        batch.content = x12_837.render(batch.batch_id, batch.control_number, provider, env,
                                       to_send, c.now)
        uow.claims.add_batch(batch)
        return batch.batch_id

    return runner.change("ExportClaims", cmd.key, action)


def _to_send(uow: BillingUnitOfWork, claim: Claim) -> x12_837.ClaimToSend:
    subscriber = claim.subscriber_facts()  # a claim not ready is refused here
    charges = [uow.charges.get(charge_id) for charge_id in claim.charge_ids]
    coverage = uow.coverages.get(claim.coverage_id)
    payer = uow.payers.get(claim.payer_id)
    kind = payer.kind if payer else payer_kind_of(coverage.plan_type if coverage else "")
    cob = other_subscriber = None
    if claim.cob:
        cob = PrimaryAdjudication.stored(claim.cob)
        primary = uow.claims.get(claim.primary_claim_id)
        other_subscriber = primary.subscriber_facts() if primary and primary.subscriber else None
    numbers = {}
    for charge in charges:
        if charge is not None and charge.prior_authorization_id:
            auth = uow.authorizations.get(charge.prior_authorization_id)
            if auth is not None:
                numbers[charge.charge_id] = auth.authorization_number
    return x12_837.ClaimToSend(
        cob=cob, other_subscriber=other_subscriber, authorization_numbers=numbers,
        claim=claim, charges=[ch for ch in charges if ch is not None], subscriber=subscriber,
        member_id=coverage.member_id if coverage else "",
        group_number=coverage.group_number if coverage else "",
        priority=coverage.priority if coverage else 1,
        payer_name=payer.display_name if payer else claim.payer_id, payer_kind=kind)


def get_batch(batch_id: str, runner: Billing) -> ClaimBatch:
    def query(uow: BillingUnitOfWork) -> ClaimBatch:
        batch = uow.claims.get_batch(batch_id)
        if batch is None:
            raise errors.field("batch", "no such batch")
        return batch

    return runner.read(query)
