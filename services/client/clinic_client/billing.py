"""Typed calls of billing's services: charges, accounts and their balances, claims
export, remittance import, reports.

Accounts are the patients' (``p1`` or ``accounts/p1``); ``-`` is every account.
Methods not wrapped here are called by name: ``clinic.billing.call("clinic.billing.v1.
ClaimService/MarkClaimReady", ...)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from google.protobuf.message import Message

from clinic_client.calls import Caller
from clinic_client.scheduling import day

V1 = "clinic.billing.v1"


def account_name(account: str) -> str:
    return account if account.startswith("accounts/") else f"accounts/{account}"


class BillingClient:
    def __init__(self, caller: Caller):
        self.caller = caller
        self.call, self.pages, self.request = caller.call, caller.pages, caller.request

    def charges(self, account: str = "-", *, appointment_id: str = "",
                start: dt.date | str | None = None,
                end: dt.date | str | None = None) -> Iterator[Message]:
        fields: dict = {"appointment_id": appointment_id}
        if start is not None:
            fields["start_date"] = day(start)
        if end is not None:
            fields["end_date"] = day(end)
        return self.pages(f"{V1}.ChargeService/ListCharges", "charges",
                          parent=account_name(account), **fields)

    def get_account(self, account: str) -> Message:
        """The account with its patient and insurance balances and coverages."""
        return self.call(f"{V1}.AccountService/GetAccount", name=account_name(account)).account

    def export_claims(self, claims: Sequence[str]) -> Message:
        """Ready claims as one 837P batch (``batch.content``); they become submitted."""
        return self.call(f"{V1}.ClaimService/ExportClaims", claims=list(claims)).batch

    def import_remittance(self, content: bytes) -> Message:
        """Import and post an 835; ``already_imported`` says a repeat posted nothing."""
        return self.call(f"{V1}.RemittanceService/ImportRemittance", content=content)

    def reconciliation(self, remittance: str) -> Message:
        name = remittance if remittance.startswith("remittances/") else \
            f"remittances/{remittance}"
        return self.call(f"{V1}.ReportService/GetRemittanceReconciliation", name=name)

    def ar_aging(self, as_of: dt.date | str) -> Message:
        return self.call(f"{V1}.ReportService/GetArAging", as_of=day(as_of))
