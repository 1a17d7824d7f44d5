"""What billing's servicers share: the use-case runner and the clinic's billing policy."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common.runner import Runner

from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


@dataclass(frozen=True)
class Deps:
    runner: Runner[BillingUnitOfWork]
    policy: BillingPolicy
