"""Intake's unit of work: the platform's, plus intake's repositories."""

from clinic_common.unit_of_work import SqlUnitOfWork

from clinic_intake.adapters import care_records, records, repository


class IntakeUnitOfWork(SqlUnitOfWork):
    def _start(self, session):
        self.patients = repository.SqlPatientRepository(session)
        self.duplicates = repository.SqlDuplicateRepository(session)
        self.revisions = repository.SqlRevisionRepository(session)
        self.coverages = records.SqlCoverages(session)
        self.history = records.SqlHistory(session)
        self.vitals = records.SqlVitals(session)
        self.consents = records.SqlConsents(session)
        self.screenings = care_records.SqlScreenings(session)
        self.safety_flags = care_records.SqlSafetyFlags(session)
        self.decisions = care_records.SqlDecisions(session)
        self.plans = care_records.SqlPlans(session)
