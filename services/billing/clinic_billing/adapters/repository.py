"""Where billing's aggregates are kept: the ports and their SQLAlchemy adapters.

Write paths lock the rows they change (``for_update=True``): postings and merges
lock the account, a void locks its charge. They serialize on PostgreSQL as BEGIN
IMMEDIATE makes them on SQLite; charges also carry a version, so a race that
slips past the locks is detected (ABORTED), never overwritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common import keyset
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from clinic_billing.domain.authorization import (
    AuthorizationState,
    AuthorizationUse,
    PriorAuthorization,
)
from clinic_billing.domain.booking import Booking, BookingState
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, ClaimBatch, ClaimLine, ClaimState, ClaimTransition
from clinic_billing.domain.contract import ContractedRate
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import (
    Account,
    Balance,
    ChargeSource,
    ChargeState,
    LedgerEntry,
    OpenAmount,
    Responsibility,
)
from clinic_billing.domain.payer import Payer
from clinic_billing.domain.payment import Payment, PaymentKind, WriteOff
from clinic_billing.domain.plan import PlanFacts
from clinic_billing.domain.remittance import (
    Denial,
    Outcome,
    Remittance,
    RemittanceClaim,
    SuspenseItem,
)

# Ids per IN (...) of a batched read: well under SQLite's bound parameters per statement.
IN_CHUNK = 500


def _insert_all(session: Session, cls: type, objects: list, key: str) -> None:
    """``objects`` (dataclasses, their database-made ``key`` unset) as rows of one
    executemany: the ORM would insert them one by one to read each key back."""
    rows = [{k: v for k, v in vars(o).items() if not k.startswith("_") and k != key}
            for o in objects]
    if rows:
        session.execute(insert(cls), rows)


class SqlAccountRepository:
    def __init__(self, session: Session):
        self.session = session
        self._locked: dict[str, Account | None] = {}  # locked by this transaction, or absent

    def add(self, account: Account) -> None:
        self.session.add(account)
        self._locked[account.patient_id] = account

    def get(self, patient_id: str, *, for_update: bool = False) -> Account | None:
        if for_update and patient_id in self._locked:
            return self._locked[patient_id]
        account = self.session.get(Account, patient_id, with_for_update=for_update or None,
                                   populate_existing=for_update)
        if for_update:
            self._locked[patient_id] = account
        return account

    def lock_all(self, patient_ids: list[str]) -> None:
        """Locks the accounts of ``patient_ids`` (in id order) in one query; a later
        ``get(for_update=True)`` of any of them, present or not, asks nothing more. An
        absent one that another transaction opens meanwhile fails this one's insert."""
        wanted = [p for p in patient_ids if p not in self._locked]
        if not wanted:
            return
        found = {a.patient_id: a for a in self.session.scalars(
            select(Account).where(Account.patient_id.in_(wanted)).order_by(Account.patient_id)
            .with_for_update().execution_options(populate_existing=True))}
        for patient_id in wanted:
            self._locked[patient_id] = found.get(patient_id)

    def list(self, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of accounts in patient id order."""
        return keyset.fetch(self.session, select(Account), [Account.patient_id], after, limit)

    def redirect_merged(self, old_survivor: str, new_survivor: str) -> None:
        """Accounts merged into one that is now merged itself point at the new survivor."""
        self.session.execute(update(Account).where(Account.merged_into == old_survivor)
                             .values(merged_into=new_survivor))


class SqlCoverageRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, coverage: Coverage) -> None:
        self.session.add(coverage)

    def get(self, coverage_id: str) -> Coverage | None:
        return self.session.get(Coverage, coverage_id)

    def for_patient(self, patient_id: str) -> list[Coverage]:
        return list(self.session.scalars(select(Coverage).where(Coverage.patient_id == patient_id)))

    def for_patients(self, patient_ids: list[str]) -> dict[str, list[Coverage]]:
        found: dict[str, list[Coverage]] = {}
        for coverage in self.session.scalars(
                select(Coverage).where(Coverage.patient_id.in_(patient_ids))):
            found.setdefault(coverage.patient_id, []).append(coverage)
        return found

    def move(self, from_patient: str, to_patient: str) -> None:
        self.session.execute(update(Coverage).where(Coverage.patient_id == from_patient)
                             .values(patient_id=to_patient))


@dataclass(frozen=True)
class ChargeFilter:
    patient_id: str = ""
    appointment_id: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class SqlChargeRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, charge: Charge) -> None:
        self.session.add(charge)

    def get(self, charge_id: str, *, for_update: bool = False) -> Charge | None:
        return self.session.get(Charge, charge_id, with_for_update=for_update or None,
                                populate_existing=for_update)

    def get_many(self, charge_ids: list[str]) -> dict[str, Charge]:
        """The charges of ``charge_ids`` that exist, by id, one query per IN_CHUNK ids."""
        found: dict[str, Charge] = {}
        wanted = sorted(set(charge_ids))
        for start in range(0, len(wanted), IN_CHUNK):
            found.update((c.charge_id, c) for c in self.session.scalars(select(Charge).where(
                Charge.charge_id.in_(wanted[start:start + IN_CHUNK]))))
        return found

    def of_patient_between(self, patient_id: str, start: dt.date, end: dt.date) -> list[Charge]:
        """The patient's charges with dates of service from ``start`` to ``end``."""
        return list(self.session.scalars(select(Charge).where(
            Charge.patient_id == patient_id, Charge.service_date >= start,
            Charge.service_date <= end).order_by(Charge.service_date, Charge.charge_id)))

    def for_appointment(self, appointment_id: str, sources: set[ChargeSource]) -> list[Charge]:
        return list(self.session.scalars(select(Charge).where(
            Charge.appointment_id == appointment_id, Charge.source.in_(sources))))

    def has_posted(self, patient_id: str, codes: set[str]) -> bool:
        """Whether the patient's account has a standing charge with one of ``codes``."""
        return self.session.scalars(select(Charge.charge_id).where(
            Charge.patient_id == patient_id, Charge.procedure_code.in_(codes),
            Charge.state == ChargeState.POSTED).limit(1)).first() is not None

    def list(self, flt: ChargeFilter, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of charges in (date of service, charge id) order."""
        query = select(Charge)
        if flt.patient_id:
            query = query.where(Charge.patient_id == flt.patient_id)
        if flt.appointment_id:
            query = query.where(Charge.appointment_id == flt.appointment_id)
        if flt.start_date is not None:
            query = query.where(Charge.service_date >= flt.start_date)
        if flt.end_date is not None:
            query = query.where(Charge.service_date <= flt.end_date)
        return keyset.fetch(self.session, query, [Charge.service_date, Charge.charge_id], after,
                            limit)

    def beyond_authorization(self, patient_id: str, payer_id: str, codes: list[str],
                             start: dt.date, end: dt.date) -> list[Charge]:
        """The patient's standing charges to ``payer_id`` for ``codes`` dated in ``start`` to
        ``end`` that are flagged beyond their authorization, in date order, locked."""
        return list(self.session.scalars(select(Charge).where(
            Charge.patient_id == patient_id, Charge.payer_id == payer_id,
            Charge.procedure_code.in_(codes), Charge.state == ChargeState.POSTED,
            Charge.responsibility == Responsibility.INSURANCE,
            Charge.service_date >= start, Charge.service_date <= end,
            Charge.authorization_problem != "")
            .order_by(Charge.service_date, Charge.charge_id).with_for_update()
            .execution_options(populate_existing=True)))

    def move(self, from_patient: str, to_patient: str) -> None:
        # Bumping the version makes a void racing with the merge lose, not misfile its entry.
        self.session.execute(update(Charge).where(Charge.patient_id == from_patient)
                             .values(patient_id=to_patient, version=Charge.version + 1))


class SqlPayerRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, payer: Payer) -> None:
        self.session.add(payer)

    def get(self, payer_id: str, *, for_update: bool = False) -> Payer | None:
        return self.session.get(Payer, payer_id, with_for_update=for_update or None,
                                populate_existing=for_update)

    def delete(self, payer: Payer) -> None:
        self.session.delete(payer)

    def list(self, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of payers in payer id order."""
        return keyset.fetch(self.session, select(Payer), [Payer.payer_id], after, limit)


class SqlContractedRateRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, rate: ContractedRate) -> None:
        self.session.add(rate)

    def get(self, rate_id: str, *, for_update: bool = False) -> ContractedRate | None:
        return self.session.get(ContractedRate, rate_id, with_for_update=for_update or None,
                                populate_existing=for_update)

    def delete(self, rate: ContractedRate) -> None:
        self.session.delete(rate)

    def of(self, payer_id: str, procedure_code: str, modifier: str) -> list[ContractedRate]:
        """Every period of one payer, code and modifier (to keep them apart)."""
        R = ContractedRate
        return list(self.session.scalars(select(R).where(
            R.payer_id == payer_id, R.procedure_code == procedure_code, R.modifier == modifier)))

    def list(self, payer_id: str, procedure_code: str, *, limit: int,
             after: list | None = None) -> keyset.Page:
        """A page of a payer's rates in (code, rate id) order."""
        R = ContractedRate
        query = select(R).where(R.payer_id == payer_id)
        if procedure_code:
            query = query.where(R.procedure_code == procedure_code)
        return keyset.fetch(self.session, query, [R.procedure_code, R.rate_id], after, limit)


@dataclass(frozen=True)
class ClaimFilter:
    patient_id: str = ""
    state: ClaimState | None = None


class SqlClaimRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, claim: Claim) -> None:
        """Stores a claim; a primary one takes its charges (a secondary claim bills the same
        charges again, to the next payer, and takes none)."""
        self.session.add(claim)
        if claim.is_secondary:
            return
        for number, charge_id in enumerate(claim.charge_ids, start=1):
            self.session.add(ClaimLine(charge_id, claim.claim_id, number))

    def move(self, from_patient: str, to_patient: str) -> None:
        """A merged patient's claims are the survivor's: what a remittance posts to them
        later lands on the surviving account. Their ledger entries stay where they are."""
        self.session.execute(update(Claim).where(Claim.patient_id == from_patient)
                             .values(patient_id=to_patient))

    def secondary_of(self, primary_id: str) -> Claim | None:
        """The standing (not void) secondary claim of a primary one."""
        return self.session.scalars(select(Claim).where(
            Claim.primary_claim_id == primary_id, Claim.state != ClaimState.VOID)).first()

    def get(self, claim_id: str, *, for_update: bool = False) -> Claim | None:
        return self.session.get(Claim, claim_id, with_for_update=for_update or None,
                                populate_existing=for_update)

    def add_transition(self, step: ClaimTransition) -> None:
        """Appends a step to the claim's history (never changed afterwards)."""
        self.session.add(step)

    def history(self, claim_id: str, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of a claim's steps, oldest first."""
        T = ClaimTransition
        return keyset.fetch(self.session, select(T).where(T.claim_id == claim_id),
                            [T.transition_id], after, limit)


    def get_many(self, claim_ids: list[str], *, for_update: bool = False) -> dict[str, Claim]:
        """The claims of ``claim_ids`` that exist, by id, read (and locked) in id order, in
        chunks: one query per IN_CHUNK ids rather than one per claim."""
        found: dict[str, Claim] = {}
        wanted = sorted(set(claim_ids))
        for start in range(0, len(wanted), IN_CHUNK):
            query = select(Claim).where(Claim.claim_id.in_(wanted[start:start + IN_CHUNK])) \
                .order_by(Claim.claim_id)
            if for_update:
                query = query.with_for_update().execution_options(populate_existing=True)
            found.update((c.claim_id, c) for c in self.session.scalars(query))
        return found

    def release_lines(self, claim: Claim) -> None:
        """Frees a voided claim's charges for another claim."""
        self.session.execute(delete(ClaimLine).where(ClaimLine.claim_id == claim.claim_id))

    def add_batch(self, batch: ClaimBatch) -> None:
        self.session.add(batch)

    def get_batch(self, batch_id: str) -> ClaimBatch | None:
        return self.session.get(ClaimBatch, batch_id)

    def last_control_number(self) -> int | None:
        """The highest control number used; a concurrent batch taking the same next one
        loses on the unique constraint and runs again."""
        return self.session.execute(select(func.max(ClaimBatch.control_number))).scalar_one()

    def claim_of(self, charge_id: str) -> str | None:
        """The claim a charge is on, if any."""
        line = self.session.get(ClaimLine, charge_id)
        return line.claim_id if line else None

    def list(self, flt: ClaimFilter, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of claims in (date of service, claim id) order."""
        query = select(Claim)
        if flt.patient_id:
            query = query.where(Claim.patient_id == flt.patient_id)
        if flt.state is not None:
            query = query.where(Claim.state == flt.state)
        return keyset.fetch(self.session, query, [Claim.service_date, Claim.claim_id], after,
                            limit)


class SqlPlanRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, plan: PlanFacts) -> None:
        self.session.add(plan)

    def get(self, plan_id: str) -> PlanFacts | None:
        return self.session.get(PlanFacts, plan_id)

    def for_patient(self, patient_id: str) -> list[PlanFacts]:
        return list(self.session.scalars(select(PlanFacts).where(
            PlanFacts.patient_id == patient_id)))

    def move(self, from_patient: str, to_patient: str) -> None:
        self.session.execute(update(PlanFacts).where(PlanFacts.patient_id == from_patient)
                             .values(patient_id=to_patient))


class SqlLedger:
    def __init__(self, session: Session):
        self.session = session

    def add(self, entry: LedgerEntry) -> None:
        self.session.add(entry)

    def add_all(self, entries: list[LedgerEntry]) -> None:
        """Many entries in one INSERT per chunk (their ids are not read back)."""
        _insert_all(self.session, LedgerEntry, entries, "entry_id")

    def of_remittance_claim(self, claim_id: str, remittance_id: str) -> list[LedgerEntry]:
        """The entries one remittance posted to one claim."""
        return list(self.session.scalars(select(LedgerEntry).where(
            LedgerEntry.claim_id == claim_id, LedgerEntry.remittance_id == remittance_id)
            .order_by(LedgerEntry.entry_id)))

    def of_claim(self, claim_id: str) -> list[LedgerEntry]:
        return list(self.session.scalars(select(LedgerEntry).where(
            LedgerEntry.claim_id == claim_id).order_by(LedgerEntry.entry_id)))

    def balance(self, patient_id: str) -> Balance:
        return self.balances([patient_id]).get(patient_id, Balance())

    def balances(self, patient_ids: list[str]) -> dict[str, Balance]:
        E = LedgerEntry
        found: dict[str, Balance] = {}
        wanted = sorted(set(patient_ids))
        for start in range(0, len(wanted), IN_CHUNK):
            rows = self.session.execute(
                select(E.patient_id, func.coalesce(func.sum(E.patient_cents), 0),
                       func.coalesce(func.sum(E.insurance_cents), 0))
                .where(E.patient_id.in_(wanted[start:start + IN_CHUNK])).group_by(E.patient_id))
            found.update((pid, Balance(int(patient), int(insurance)))
                         for pid, patient, insurance in rows)
        return found

    def open_amounts(self, patient_id: str) -> list[OpenAmount]:
        """What the patient's entries add up to per (charge, claim), in that order, leaving
        out what nets to zero. The ledger has no ``move``: rows are only ever inserted."""
        E = LedgerEntry
        patient = func.coalesce(func.sum(E.patient_cents), 0)
        insurance = func.coalesce(func.sum(E.insurance_cents), 0)
        rows = self.session.execute(
            select(E.charge_id, E.claim_id, patient, insurance).where(E.patient_id == patient_id)
            .group_by(E.charge_id, E.claim_id))
        found = [OpenAmount(charge, claim, int(p), int(i)) for charge, claim, p, i in rows
                 if p or i]
        return sorted(found, key=lambda a: (a.charge_id or "", a.claim_id or ""))

    def of_patient(self, patient_id: str) -> list[LedgerEntry]:
        return list(self.session.scalars(select(LedgerEntry).where(
            LedgerEntry.patient_id == patient_id).order_by(LedgerEntry.entry_id)))


class SqlRemittanceRepository:
    """Imported 835s, how each claim of them was posted, suspense and the denial queue."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, remittance: Remittance) -> None:
        self.session.add(remittance)

    def get(self, remittance_id: str) -> Remittance | None:
        return self.session.get(Remittance, remittance_id)

    def by_hash(self, sha256: str) -> Remittance | None:
        return self.session.scalars(select(Remittance).where(
            Remittance.content_sha256 == sha256)).first()

    def by_trace(self, originator: str, trace_number: str) -> Remittance | None:
        return self.session.scalars(select(Remittance).where(
            Remittance.trace_originator == originator,
            Remittance.trace_number == trace_number)).first()

    def list(self, *, limit: int, after: list | None = None) -> keyset.Page:
        """A page of remittances in import order."""
        return keyset.fetch(self.session, select(Remittance), [Remittance.remittance_id], after,
                            limit)

    def add_claim(self, posted: RemittanceClaim) -> None:
        self.session.add(posted)

    def add_claims(self, posted: list[RemittanceClaim]) -> None:
        """Many postings in one INSERT per chunk (their ids are not read back)."""
        _insert_all(self.session, RemittanceClaim, posted, "id")

    def claims_of(self, remittance_id: str) -> list[RemittanceClaim]:
        return list(self.session.scalars(select(RemittanceClaim).where(
            RemittanceClaim.remittance_id == remittance_id).order_by(RemittanceClaim.position)))

    def standing_posting(self, claim_id: str) -> RemittanceClaim | None:
        """The latest posting of a claim that no reversal undid."""
        R = RemittanceClaim
        reversed_ids = select(R.reverses_id).where(R.reverses_id.is_not(None))
        return self.session.scalars(select(R).where(
            R.claim_id == claim_id, R.outcome.in_([Outcome.PAID, Outcome.PARTIALLY_PAID,
                                                   Outcome.DENIED]),
            R.id.not_in(reversed_ids)).order_by(R.id.desc())).first()

    def add_suspense(self, item: SuspenseItem) -> None:
        self.session.add(item)

    def get_suspense(self, item_id: str, *, for_update: bool = False) -> SuspenseItem | None:
        return self.session.get(SuspenseItem, item_id, with_for_update=for_update or None,
                                populate_existing=for_update)

    def suspense_of(self, remittance_id: str) -> list[SuspenseItem]:
        return list(self.session.scalars(select(SuspenseItem).where(
            SuspenseItem.remittance_id == remittance_id).order_by(SuspenseItem.item_id)))

    def list_suspense(self, state: str, *, limit: int, after: list | None = None) -> keyset.Page:
        query = select(SuspenseItem)
        if state:
            query = query.where(SuspenseItem.state == state)
        return keyset.fetch(self.session, query, [SuspenseItem.item_id], after, limit)

    def add_denial(self, denial: Denial) -> None:
        self.session.add(denial)

    def open_denials_of(self, claim_id: str) -> list[Denial]:
        return list(self.session.scalars(select(Denial).where(
            Denial.claim_id == claim_id, Denial.state == "OPEN")))

    def list_denials(self, state: str, payer_id: str, *, limit: int,
                     after: list | None = None) -> keyset.Page:
        query = select(Denial)
        if state:
            query = query.where(Denial.state == state)
        if payer_id:
            query = query.where(Denial.payer_id == payer_id)
        return keyset.fetch(self.session, query, [Denial.denial_id], after, limit)


class SqlPaymentRepository:
    """Patients' payments and refunds, and write-offs."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, payment: Payment) -> None:
        self.session.add(payment)

    def get(self, payment_id: str) -> Payment | None:
        return self.session.get(Payment, payment_id)

    def refunded(self, payment_id: str) -> int:
        return int(self.session.execute(select(func.coalesce(func.sum(Payment.amount_cents), 0))
                                        .where(Payment.refunds_payment_id == payment_id,
                                               Payment.kind == PaymentKind.REFUND)).scalar_one())

    def list(self, patient_id: str, *, limit: int, after: list | None = None) -> keyset.Page:
        query = select(Payment)
        if patient_id:
            query = query.where(Payment.patient_id == patient_id)
        return keyset.fetch(self.session, query, [Payment.payment_id], after, limit)

    def move(self, from_patient: str, to_patient: str) -> None:
        """A merged patient's payments and refunds are the survivor's to refund; their
        ledger entries stay on the merged account."""
        self.session.execute(update(Payment).where(Payment.patient_id == from_patient)
                             .values(patient_id=to_patient))

    def add_write_off(self, write_off: WriteOff) -> None:
        self.session.add(write_off)

    def get_write_off(self, write_off_id: str) -> WriteOff | None:
        return self.session.get(WriteOff, write_off_id)


class SqlReportQueries:
    """What the reports read: ledger entries with the charge or payment they name."""

    def __init__(self, session: Session):
        self.session = session

    def entries_of_remittance(self, remittance_id: str) -> list[LedgerEntry]:
        return list(self.session.scalars(select(LedgerEntry).where(
            LedgerEntry.remittance_id == remittance_id)))

    def open_by_charge(self, until: dt.datetime) -> list[tuple[str, dt.date, int, int]]:
        """(payer, date of service, patient cents, insurance cents) of each charge's entries
        posted before ``until``."""
        E, C = LedgerEntry, Charge
        rows = self.session.execute(
            select(C.payer_id, C.service_date, func.coalesce(func.sum(E.patient_cents), 0),
                   func.coalesce(func.sum(E.insurance_cents), 0))
            .join(C, C.charge_id == E.charge_id).where(E.posted_at < until)
            .group_by(C.charge_id, C.payer_id, C.service_date))
        return [(p, d, int(pat), int(ins)) for p, d, pat, ins in rows]

    def unapplied_patient_cents(self, until: dt.datetime) -> int:
        E = LedgerEntry
        return int(self.session.execute(select(func.coalesce(func.sum(E.patient_cents), 0))
                                        .where(E.charge_id.is_(None), E.posted_at < until))
                   .scalar_one())

    def denials_between(self, start: dt.datetime | None, end: dt.datetime | None
                        ) -> list[Denial]:
        query = select(Denial).where(Denial.state != "REVERSED")
        if start is not None:
            query = query.where(Denial.created_at >= start)
        if end is not None:
            query = query.where(Denial.created_at < end)
        return list(self.session.scalars(query))

    def patient_entries(self, patient_id: str) -> list[tuple[LedgerEntry, str]]:
        """The patient's entries in order, with their charge's procedure code."""
        E, C = LedgerEntry, Charge
        return [(e, code or "") for e, code in self.session.execute(
            select(E, C.procedure_code).outerjoin(C, C.charge_id == E.charge_id)
            .where(E.patient_id == patient_id).order_by(E.entry_id))]

    def settled_claims_by_payer(self, start: dt.date, end: dt.date, states: set
                                ) -> list[tuple[str, int, int]]:
        """(payer, claims, contracted cents) of the claims in ``states`` with a date of
        service in [start, end], summed in the database."""
        C = Claim
        return [(payer, int(n), int(cents)) for payer, n, cents in self.session.execute(
            select(C.payer_id, func.count(), func.coalesce(func.sum(C.total_allowed_cents), 0))
            .where(C.service_date >= start, C.service_date <= end, C.state.in_(states))
            .group_by(C.payer_id))]

    def claim_entries_by_payer(self, start: dt.date, end: dt.date, states: set
                               ) -> list[tuple[str, str, int]]:
        """(payer, entry kind, insurance cents) summed over the ledger entries of the
        claims in ``states`` with a date of service in [start, end]."""
        E, C = LedgerEntry, Claim
        return [(payer, kind, int(cents)) for payer, kind, cents in self.session.execute(
            select(C.payer_id, E.kind, func.coalesce(func.sum(E.insurance_cents), 0))
            .join(C, C.claim_id == E.claim_id)
            .where(C.service_date >= start, C.service_date <= end, C.state.in_(states))
            .group_by(C.payer_id, E.kind))]

    def totals_between(self, start: dt.datetime, end: dt.datetime
                       ) -> list[tuple[str, str, int]]:
        """(location, entry kind, patient + insurance cents) summed in the database over
        the entries posted in [start, end); the location is the charge's, else the
        payment's, else "-"."""
        E, C, P = LedgerEntry, Charge, Payment
        location = func.coalesce(func.nullif(C.location_id, ""), func.nullif(P.location_id, ""),
                                 "-")
        return [(where, kind, int(cents)) for where, kind, cents in self.session.execute(
            select(location, E.kind,
                   func.coalesce(func.sum(E.patient_cents + E.insurance_cents), 0))
            .outerjoin(C, C.charge_id == E.charge_id)
            .outerjoin(P, P.payment_id == E.payment_id)
            .where(E.posted_at >= start, E.posted_at < end)
            .group_by(location, E.kind))]


@dataclass(frozen=True)
class ExpiringFilter:
    """Active authorizations (of one patient, or all) with at most ``units_at_most`` units
    left, or ending between ``as_of`` and ``ending_by``; none that ended before ``as_of``."""

    patient_id: str
    as_of: dt.date
    units_at_most: int
    ending_by: dt.date


class SqlPriorAuthorizationRepository:
    """Prior authorizations and the charges' uses of them."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, auth: PriorAuthorization) -> None:
        self.session.add(auth)

    def get(self, authorization_id: str, *, for_update: bool = False
            ) -> PriorAuthorization | None:
        return self.session.get(PriorAuthorization, authorization_id,
                                with_for_update=for_update or None, populate_existing=for_update)

    def of_payer(self, patient_id: str, payer_id: str) -> list[PriorAuthorization]:
        """A patient's active authorizations from one payer, locked: a charge burns them."""
        A = PriorAuthorization
        return list(self.session.scalars(select(A).where(
            A.patient_id == patient_id, A.payer_id == payer_id,
            A.state == AuthorizationState.ACTIVE).order_by(A.prior_authorization_id)
            .with_for_update().execution_options(populate_existing=True)))

    def of_patient(self, patient_id: str) -> list[PriorAuthorization]:
        """All of a patient's authorizations, locked: their scheduled units are recounted."""
        A = PriorAuthorization
        return list(self.session.scalars(select(A).where(A.patient_id == patient_id)
                                         .order_by(A.prior_authorization_id).with_for_update()
                                         .execution_options(populate_existing=True)))

    def list(self, patient_id: str, payer_id: str, *, limit: int,
             after: list | None = None) -> keyset.Page:
        """A page in (end date, id) order."""
        A = PriorAuthorization
        query = select(A)
        if patient_id:
            query = query.where(A.patient_id == patient_id)
        if payer_id:
            query = query.where(A.payer_id == payer_id)
        return keyset.fetch(self.session, query, [A.end_date, A.prior_authorization_id], after,
                            limit)

    def expiring(self, flt: ExpiringFilter, *, limit: int,
                 after: list | None = None) -> keyset.Page:
        A = PriorAuthorization
        query = select(A).where(
            A.state == AuthorizationState.ACTIVE, A.end_date >= flt.as_of,
            or_(A.units_authorized - A.units_used - A.units_scheduled <= flt.units_at_most,
                A.end_date <= flt.ending_by))
        if flt.patient_id:
            query = query.where(A.patient_id == flt.patient_id)
        return keyset.fetch(self.session, query, [A.end_date, A.prior_authorization_id], after,
                            limit)

    def add_use(self, use: AuthorizationUse) -> None:
        self.session.add(use)

    def use_of(self, charge_id: str) -> AuthorizationUse | None:
        return self.session.get(AuthorizationUse, charge_id)

    def move(self, from_patient: str, to_patient: str) -> None:
        A = PriorAuthorization
        self.session.execute(update(A).where(A.patient_id == from_patient)
                             .values(patient_id=to_patient))


@dataclass(frozen=True)
class BookingFilter:
    """Bookings still to come beyond their authorization (of one patient, or all), on or
    after ``as_of`` when given."""

    patient_id: str = ""
    as_of: dt.date | None = None


class SqlBookingRepository:
    """Upcoming treatment bookings, kept from scheduling's appointment events."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, booking: Booking) -> None:
        self.session.add(booking)

    def get(self, appointment_id: str) -> Booking | None:
        return self.session.get(Booking, appointment_id, with_for_update=True,
                                populate_existing=True)

    def to_come(self, patient_id: str) -> list[Booking]:
        """A patient's bookings still to come, and those still flagged, locked."""
        B = Booking
        return list(self.session.scalars(select(B).where(
            B.patient_id == patient_id,
            or_(B.state == BookingState.BOOKED, B.authorization_problem != ""))
            .order_by(B.service_date, B.start_time, B.appointment_id).with_for_update()
            .execution_options(populate_existing=True)))

    def patients_billing(self, payer_id: str) -> list[str]:
        """The patients with bookings still to come billed to ``payer_id``, in id order."""
        B = Booking
        return list(self.session.scalars(select(B.patient_id).distinct().where(
            B.state == BookingState.BOOKED, B.payer_id == payer_id).order_by(B.patient_id)))

    def beyond_authorization(self, flt: BookingFilter, *, limit: int,
                             after: list | None = None) -> keyset.Page:
        B = Booking
        query = select(B).where(B.state == BookingState.BOOKED, B.authorization_problem != "")
        if flt.patient_id:
            query = query.where(B.patient_id == flt.patient_id)
        if flt.as_of is not None:
            query = query.where(B.service_date >= flt.as_of)
        return keyset.fetch(self.session, query, [B.service_date, B.appointment_id], after,
                            limit)

    def move(self, from_patient: str, to_patient: str) -> None:
        self.session.execute(update(Booking).where(Booking.patient_id == from_patient)
                             .values(patient_id=to_patient))
