"""The clinic settings billing applies: policy fee amounts, the time zone, the coding rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_billing.domain.coding import CodingRules
from clinic_billing.domain.pricing import PolicyFees


@dataclass(frozen=True)
class BillingPolicy:
    fees: PolicyFees
    zone: dt.tzinfo
    coding: CodingRules

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The date of service of a moment, in the clinic's time zone."""
        return moment.astimezone(self.zone).date()

    def today(self, now: dt.datetime) -> dt.date:
        return self.local_date(now)
