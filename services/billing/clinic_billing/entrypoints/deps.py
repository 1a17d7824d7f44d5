"""What billing's servicers share: the use-case runner, the clinic's billing policy, the
billing provider claims go out from and the 837P envelope."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common.runner import Runner

from clinic_billing.adapters.x12_837 import Envelope
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork


@dataclass(frozen=True)
class Deps:
    runner: Runner[BillingUnitOfWork]
    policy: BillingPolicy
    provider: BillingProvider = BillingProvider()
    envelope: Envelope = Envelope("CLINICGROUP", "CLEARINGHOUSE", "CLEARINGHOUSE")
