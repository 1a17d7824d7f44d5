"""Reports: reconciliation, claim balances, variance, denials, aging, statements, daily
totals, each read from the ledger in one unit of work (nothing is stored)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import Runner

from clinic_billing.adapters.repository import ClaimFilter
from clinic_billing.domain import errors, reports
from clinic_billing.domain.claim import Claim, ClaimState
from clinic_billing.domain.model import EntryKind, LedgerEntry
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.remittance import Adjustment, ClaimPayment
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]
SETTLED = {ClaimState.PAID, ClaimState.PARTIALLY_PAID, ClaimState.DENIED}


def reconcile_remittance(remittance_id: str, runner: Billing) -> reports.RemittanceReconciliation:
    def query(uow: BillingUnitOfWork) -> reports.RemittanceReconciliation:
        remittance = uow.remittances.get(remittance_id)
        if remittance is None:
            raise errors.RemittanceNotFound(remittance_id)
        unbalanced = []
        for posted in uow.remittances.claims_of(remittance_id):
            clp = ClaimPayment(posted.claim_ref, posted.status, posted.charge_cents,
                               posted.paid_cents, posted.patient_cents, "",
                               tuple(Adjustment(a["group"], a["reason"], int(a["cents"]))
                                     for a in posted.adjustments))
            if not clp.balances:
                unbalanced.append(posted.claim_ref)
        return reports.RemittanceReconciliation(
            deposit_cents=remittance.deposit_cents,
            posted_payment_cents=reports.posted_payments(
                uow.reports.entries_of_remittance(remittance_id)),
            provider_adjustment_cents=remittance.provider_adjustment_cents,
            suspense_cents=sum(s.amount_cents for s in uow.remittances.suspense_of(remittance_id)),
            unbalanced_claims=tuple(unbalanced))

    return runner.read(query)


def _balance(uow: BillingUnitOfWork, claim: Claim) -> reports.ClaimBalance:
    balance = reports.ClaimBalance(claim.claim_id, claim.patient_id, claim.payer_id,
                                   claim.service_date, claim.state, claim.total_charge_cents,
                                   claim.total_allowed_cents)
    for entry in uow.ledger.of_claim(claim.claim_id):
        balance.take(entry)
    return balance


@dataclass(frozen=True)
class BalancePage:
    balances: list[reports.ClaimBalance]
    next_key: list | None


def claim_balances(patient_id: str, runner: Billing, *, limit: int,
                   after: list | None) -> BalancePage:
    def query(uow: BillingUnitOfWork) -> BalancePage:
        page: keyset.Page = uow.claims.list(ClaimFilter(patient_id=patient_id), limit=limit,
                                            after=after)
        return BalancePage([_balance(uow, c) for c in page.items], page.next_key)

    return runner.read(query)


def payment_variance(start: dt.date, end: dt.date, runner: Billing) -> list[dict]:
    """Per payer over dates of service, summed by the database from the claims and their
    ledger entries (payments and suspense applied are paid; PR is the patient's share)."""
    def query(uow: BillingUnitOfWork) -> list[dict]:
        rows = {payer: dict(payer_id=payer, claim_count=n, contracted_cents=contracted,
                            paid_cents=0, patient_responsibility_cents=0)
                for payer, n, contracted in uow.reports.settled_claims_by_payer(start, end,
                                                                              SETTLED)}
        for payer, kind, insurance_cents in uow.reports.claim_entries_by_payer(start, end,
                                                                               SETTLED):
            column = VARIANCE_COLUMNS.get(EntryKind(kind))
            if column is not None:
                rows[payer][column] -= insurance_cents  # money off insurance's side
        for row in rows.values():
            row["variance_cents"] = (row["paid_cents"] + row["patient_responsibility_cents"]
                                     - row["contracted_cents"])
        return [rows[p] for p in sorted(rows)]

    return runner.read(query)


VARIANCE_COLUMNS = {EntryKind.PAYMENT: "paid_cents", EntryKind.SUSPENSE_APPLIED: "paid_cents",
                    EntryKind.PATIENT_RESPONSIBILITY: "patient_responsibility_cents"}


def denial_summary(start: dt.datetime | None, end: dt.datetime | None,
                   runner: Billing) -> list[tuple[str, str, int, int]]:
    return runner.read(lambda uow: reports.denial_summary(
        [(d.payer_id, d.reason_codes, d.denied_cents)
         for d in uow.reports.denials_between(start, end)]))


def ar_aging(as_of: dt.date, policy: BillingPolicy, runner: Billing) -> reports.Aging:
    until = _day_start(as_of + dt.timedelta(days=1), policy)

    def query(uow: BillingUnitOfWork) -> reports.Aging:
        result = reports.aging(uow.reports.open_by_charge(until),
                               uow.reports.unapplied_patient_cents(until), as_of)
        credit = -result.unapplied_patient_credit_cents  # positive: credit to apply
        for age in reversed(reports.BUCKETS):  # the oldest first
            taken = min(max(credit, 0), max(result.patients[age], 0))
            result.patients[age] -= taken
            credit -= taken
        result.unapplied_patient_credit_cents = max(credit, 0)
        return result

    return runner.read(query)


@dataclass(frozen=True)
class StatementLine:
    day: dt.date
    entry: LedgerEntry
    procedure_code: str
    patient_balance_cents: int


@dataclass(frozen=True)
class Statement:
    opening_patient_cents: int
    lines: list[StatementLine]
    closing_patient_cents: int
    closing_insurance_cents: int


def statement(patient_id: str, start: dt.date | None, end: dt.date | None,
              policy: BillingPolicy, runner: Billing) -> Statement:
    def query(uow: BillingUnitOfWork) -> Statement:
        if uow.accounts.get(patient_id) is None:
            raise errors.AccountNotFound(patient_id)
        opening = patient = insurance = 0
        lines = []
        for entry, code in uow.reports.patient_entries(patient_id):
            day = policy.local_date(entry.posted_at)
            if end is not None and day > end:
                break
            patient += entry.patient_cents
            insurance += entry.insurance_cents
            if start is not None and day < start:
                opening = patient
                continue
            lines.append(StatementLine(day, entry, code, patient))
        return Statement(opening, lines, patient, insurance)

    return runner.read(query)


TOTALS = {EntryKind.CHARGE: "charge_cents", EntryKind.VOID: "charge_cents",
          EntryKind.PATIENT_PAYMENT: "patient_payment_cents", EntryKind.REFUND: "refund_cents",
          EntryKind.PAYMENT: "insurance_payment_cents",
          EntryKind.SUSPENSE_APPLIED: "insurance_payment_cents",
          EntryKind.ADJUSTMENT: "adjustment_cents", EntryKind.WRITE_OFF: "write_off_cents"}


def daily_totals(day: dt.date, policy: BillingPolicy, runner: Billing) -> list[dict]:
    """One clinic day's totals per location, summed by the database per location and kind."""
    start, end = _day_start(day, policy), _day_start(day + dt.timedelta(days=1), policy)

    def query(uow: BillingUnitOfWork) -> list[dict]:
        rows: dict[str, dict] = defaultdict(lambda: dict.fromkeys(set(TOTALS.values()), 0))
        for location, kind, cents in uow.reports.totals_between(start, end):
            column = TOTALS.get(EntryKind(kind))
            if column is None:
                continue  # patient responsibility moves money between payers, not in or out
            # Charges count as posted; money in and adjustments as positive amounts.
            rows[location][column] += cents if column in ("charge_cents", "refund_cents") \
                else -cents
        return [dict(location_id=k, **rows[k]) for k in sorted(rows)]

    return runner.read(query)


def _day_start(day: dt.date, policy: BillingPolicy) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), policy.zone).astimezone(dt.UTC)
