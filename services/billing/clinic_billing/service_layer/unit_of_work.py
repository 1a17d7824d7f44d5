"""Billing's unit of work: the platform's, plus billing's repositories."""

from clinic_common.unit_of_work import SqlUnitOfWork
from sqlalchemy.orm.exc import StaleDataError

from clinic_billing.adapters.fee_schedule import SqlFeeSchedule, SqlPriceVersions
from clinic_billing.adapters.providers import SqlProviderRepository
from clinic_billing.adapters.repository import (
    SqlAccountRepository,
    SqlBookingRepository,
    SqlChargeRepository,
    SqlClaimRepository,
    SqlContractedRateRepository,
    SqlCoverageRepository,
    SqlLedger,
    SqlPayerRepository,
    SqlPaymentRepository,
    SqlPlanRepository,
    SqlPriorAuthorizationRepository,
    SqlRemittanceRepository,
    SqlReportQueries,
)
from clinic_billing.domain.errors import ConcurrentModification


class BillingUnitOfWork(SqlUnitOfWork):
    def _start(self, session):
        self.accounts = SqlAccountRepository(session)
        self.coverages = SqlCoverageRepository(session)
        self.charges = SqlChargeRepository(session)
        self.ledger = SqlLedger(session)
        self.fee_schedule = SqlFeeSchedule(session)
        self.prices = SqlPriceVersions(session)
        self.payers = SqlPayerRepository(session)
        self.plans = SqlPlanRepository(session)
        self.rates = SqlContractedRateRepository(session)
        self.claims = SqlClaimRepository(session)
        self.remittances = SqlRemittanceRepository(session)
        self.payments = SqlPaymentRepository(session)
        self.reports = SqlReportQueries(session)
        self.authorizations = SqlPriorAuthorizationRepository(session)
        self.bookings = SqlBookingRepository(session)
        self.providers = SqlProviderRepository(session)

    def prepare_batch(self, keys: list[str]) -> None:
        """Events are keyed by patient: lock the batch's accounts in one query, in id order."""
        self.accounts.lock_all(keys)

    def deferred_writes(self):
        """A block whose reads do not flush what it added first: its inserts go out
        together at the next flush (one statement per table, not one per row). A read
        that must see them flushes first (``flush``)."""
        return self.session.no_autoflush

    def flush(self) -> None:
        """Write pending changes now; a charge changed by someone else is a lost race."""
        try:
            self.session.flush()
        except StaleDataError:
            raise ConcurrentModification("charge") from None

    def commit(self) -> None:
        try:
            super().commit()
        except StaleDataError:
            self.rollback()
            raise ConcurrentModification("charge") from None
