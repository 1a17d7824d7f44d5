"""Scheduling's unit of work: the platform's, plus scheduling's repositories."""

from clinic_common.unit_of_work import SqlUnitOfWork

from clinic_scheduling.adapters.appointment_repository import SqlAppointmentRepository
from clinic_scheduling.adapters.hold_repository import SqlHoldRepository
from clinic_scheduling.adapters.projection_repository import SqlProjectionRepository
from clinic_scheduling.adapters.repository import (
    SqlAppointmentTypeRepository,
    SqlLocationRepository,
)
from clinic_scheduling.adapters.series_repository import SqlSeriesRepository
from clinic_scheduling.adapters.staff_repository import SqlStaffRepository
from clinic_scheduling.adapters.waitlist_repository import SqlWaitlistRepository


class SchedulingUnitOfWork(SqlUnitOfWork):
    def _start(self, session):
        self.locations = SqlLocationRepository(session)
        self.appointment_types = SqlAppointmentTypeRepository(session)
        self.appointments = SqlAppointmentRepository(session)
        self.projections = SqlProjectionRepository(session)
        self.staff = SqlStaffRepository(session)
        self.holds = SqlHoldRepository(session)
        self.waitlist = SqlWaitlistRepository(session)
        self.series = SqlSeriesRepository(session)
