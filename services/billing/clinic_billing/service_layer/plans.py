"""The treatment plan projection, fed by intake's plan events (inside the consumer's unit of work)."""

from __future__ import annotations

import datetime as dt

from clinic_billing.domain import errors
from clinic_billing.domain.plan import PlanFacts
from clinic_billing.service_layer.accounts import account_for_posting
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


def _plan(uow: BillingUnitOfWork, patient_id: str, plan_id: str, now: dt.datetime) -> PlanFacts:
    if not plan_id:
        raise errors.field("plan_id", "is required")
    account = account_for_posting(uow, patient_id, now)
    plan = uow.plans.get(plan_id)
    if plan is None:
        plan = PlanFacts(plan_id=plan_id, patient_id=account.patient_id, changed_at=now)
        uow.plans.add(plan)
    return plan


def record_plan(uow: BillingUnitOfWork, patient_id: str, plan_id: str, *, modality: str,
                version: int, indication_code: str, dose_mcg: int, duration_minutes: int,
                now: dt.datetime) -> None:
    """A plan created or amended (an amendment carries no modality: '' keeps the known one)."""
    plan = _plan(uow, patient_id, plan_id, now)
    plan.modality = modality or plan.modality
    plan.restate(version=version, indication_code=indication_code, dose_mcg=dose_mcg,
                 duration_minutes=duration_minutes, now=now)


def end_plan(uow: BillingUnitOfWork, patient_id: str, plan_id: str, now: dt.datetime) -> None:
    plan = _plan(uow, patient_id, plan_id, now)
    plan.ended = True
