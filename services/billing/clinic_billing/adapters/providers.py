"""The billing provider's versions and the rendering providers, in billing's database."""

from __future__ import annotations

import datetime as dt

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_billing.domain.provider import BillingProviderVersion, RenderingProvider


class SqlProviderRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_version(self, version: BillingProviderVersion) -> None:
        self.session.add(version)

    def version(self, version_id: str) -> BillingProviderVersion | None:
        return self.session.get(BillingProviderVersion, version_id)

    def version_in_force(self, day: dt.date) -> BillingProviderVersion | None:
        """The version for ``day``: the latest from on or before it (of two from one date,
        the later set); None before the first."""
        V = BillingProviderVersion
        return self.session.scalars(select(V).where(V.effective_from <= day).order_by(
            V.effective_from.desc(), V.version_id.desc()).limit(1)).first()

    def versions(self, *, limit: int, after: list | None = None) -> keyset.Page:
        V = BillingProviderVersion
        return keyset.fetch(self.session, select(V), [V.effective_from, V.version_id], after,
                            limit)

    def add_rendering(self, provider: RenderingProvider) -> None:
        self.session.add(provider)

    def rendering(self, staff_id: str, *, for_update: bool = False) -> RenderingProvider | None:
        return self.session.get(RenderingProvider, staff_id, with_for_update=for_update or None,
                                populate_existing=for_update)

    def all_rendering(self) -> list[RenderingProvider]:
        R = RenderingProvider
        return list(self.session.scalars(select(R).order_by(R.staff_id)))

    def list_rendering(self, *, limit: int, after: list | None = None) -> keyset.Page:
        R = RenderingProvider
        return keyset.fetch(self.session, select(R), [R.staff_id], after, limit)
