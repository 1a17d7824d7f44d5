"""Superbills: a self-pay patient's services over dates of service, as a PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.runner import Runner

from clinic_billing.adapters import superbill_pdf
from clinic_billing.domain import errors
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.superbill import Superbill, paid_by_charge, superbill
from clinic_billing.service_layer import providers
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]


@dataclass(frozen=True)
class SuperbillDocument:
    superbill: Superbill
    pdf: bytes


def get_superbill(patient_id: str, start: dt.date, end: dt.date,
                  settings_provider: BillingProvider, policy: BillingPolicy,
                  runner: Billing) -> SuperbillDocument:
    """The superbill, headed by the billing provider in force on its last date of service
    (the range's end, or today when that is later; the settings' before any version)."""
    def query(uow: BillingUnitOfWork) -> Superbill:
        if uow.accounts.get(patient_id) is None:
            raise errors.AccountNotFound(patient_id)
        provider = providers.in_force(uow, settings_provider,
                                      min(end, policy.today(runner.clock())))
        charges = uow.charges.of_patient_between(patient_id, dt.date.min, dt.date.max)
        entries = [e for e, _ in uow.reports.patient_entries(patient_id)]
        return superbill(patient_id, start, end, charges,
                         uow.fee_schedule.descriptions([c.procedure_code for c in charges]),
                         provider, paid_by_charge(entries, charges), runner.clock())

    bill = runner.read(query)
    return SuperbillDocument(bill, superbill_pdf.render(bill, policy))
