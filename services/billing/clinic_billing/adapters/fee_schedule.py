"""The fee schedule as stored: entries read as domain values, with payers' contracted rates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_billing.adapters.orm import fee_schedule_entries
from clinic_billing.domain.contract import ContractedRate
from clinic_billing.domain.pricing import (
    BillingUnit,
    FeeKind,
    FeeScheduleEntry,
    PriceKind,
    PriceVersion,
)


class SqlFeeSchedule:
    def __init__(self, session: Session):
        self.session = session

    def get(self, procedure_code: str) -> FeeScheduleEntry | None:
        t = fee_schedule_entries
        rows = self.session.execute(select(t).where(t.c.procedure_code == procedure_code)).all()
        entries = self._entries(rows)
        return entries[0] if entries else None

    def descriptions(self, codes: list[str]) -> dict[str, str]:
        """Each code's description, for the codes the schedule has."""
        t = fee_schedule_entries
        return dict(self.session.execute(select(t.c.procedure_code, t.c.description).where(
            t.c.procedure_code.in_(sorted(set(codes))))).all()) if codes else {}

    def list(self, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of entries in procedure code order."""
        t = fee_schedule_entries
        page = keyset.fetch(self.session, select(t), [t.c.procedure_code], after, limit,
                            scalars=False)
        return keyset.Page(self._entries(page.items), page.next_key)

    def _entries(self, rows) -> list[FeeScheduleEntry]:
        rates = self._rates([r.procedure_code for r in rows])
        return [FeeScheduleEntry(
            procedure_code=r.procedure_code, description=r.description,
            unit=BillingUnit(r.unit), kind=FeeKind(r.kind),
            list_price_cents=r.list_price_cents, self_pay_price_cents=r.self_pay_price_cents,
            insurance_billable=r.insurance_billable,
            contracted_rates=tuple(rates.get(r.procedure_code, ())),
            effective_from=r.effective_from, effective_to=r.effective_to) for r in rows]

    def _rates(self, codes: list[str]) -> dict[str, list[ContractedRate]]:
        if not codes:
            return {}
        found: dict[str, list[ContractedRate]] = defaultdict(list)
        R = ContractedRate
        for rate in self.session.scalars(select(R).where(R.procedure_code.in_(codes)).order_by(
                R.procedure_code, R.payer_id, R.modifier, R.effective_from, R.rate_id)):
            found[rate.procedure_code].append(rate)
        return found


class SqlPriceVersions:
    """Self-pay prices and policy fee amounts by first date of service (only added)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, version: PriceVersion) -> None:
        self.session.add(version)

    def get(self, version_id: str) -> PriceVersion | None:
        return self.session.get(PriceVersion, version_id)

    def in_force(self, codes: list[str], day: dt.date,
                 kind: PriceKind = PriceKind.SELF_PAY) -> dict[str, PriceVersion]:
        """Each code's version of the price ``kind`` pricing a date of service ``day``: the
        latest from on or before it (of two from one date, the later set); codes without
        one are left out."""
        V = PriceVersion
        found: dict[str, PriceVersion] = {}
        for v in self.session.scalars(select(V).where(
                V.procedure_code.in_(sorted(set(codes))), V.effective_from <= day,
                V.price_kind == kind)
                .order_by(V.procedure_code, V.effective_from, V.version_id)):
            found[v.procedure_code] = v  # the last of each code wins
        return found

    def list(self, procedure_code: str, *, limit: int, after: list | None = None
             ) -> keyset.Page:
        """A page of one code's versions by first date of service, then as set."""
        V = PriceVersion
        return keyset.fetch(self.session, select(V).where(V.procedure_code == procedure_code),
                            [V.effective_from, V.version_id], after, limit)
