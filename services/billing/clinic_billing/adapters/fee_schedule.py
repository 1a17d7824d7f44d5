"""The fee schedule as stored: entries and payer rates, read as domain values."""

from __future__ import annotations

from collections import defaultdict

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_billing.adapters.orm import fee_schedule_entries, payer_rates
from clinic_billing.domain.pricing import BillingUnit, FeeKind, FeeScheduleEntry


class SqlFeeSchedule:
    def __init__(self, session: Session):
        self.session = session

    def get(self, procedure_code: str) -> FeeScheduleEntry | None:
        t = fee_schedule_entries
        rows = self.session.execute(select(t).where(t.c.procedure_code == procedure_code)).all()
        entries = self._entries(rows)
        return entries[0] if entries else None

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
            payer_rates=rates.get(r.procedure_code, {}), effective_from=r.effective_from,
            effective_to=r.effective_to) for r in rows]

    def _rates(self, codes: list[str]) -> dict[str, dict[str, int]]:
        if not codes:
            return {}
        found: dict[str, dict[str, int]] = defaultdict(dict)
        rows = self.session.execute(select(payer_rates).where(payer_rates.c.procedure_code.in_(codes)))
        for row in rows.mappings():
            found[row["procedure_code"]][row["payer_id"]] = row["allowed_cents"]
        return found
