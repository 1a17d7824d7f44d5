"""Appointment type use cases: read one, list them."""

from __future__ import annotations

from clinic_common import keyset
from clinic_common.runner import Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


def type_of(uow: SchedulingUnitOfWork, code: str, field: str) -> AppointmentType:
    """The type with this code; a refusal naming the known codes when there is none."""
    kind = uow.appointment_types.get(code)
    if kind is None:
        raise errors.AppointmentTypeUnknown(field, code, uow.appointment_types.codes())
    return kind


def get_appointment_type(code: str, runner: Runner[SchedulingUnitOfWork]) -> AppointmentType:
    def query(uow: SchedulingUnitOfWork) -> AppointmentType:
        kind = uow.appointment_types.get(code)
        if kind is None:
            raise errors.AppointmentTypeNotFound(code, uow.appointment_types.codes())
        return kind

    return runner.read(query)


def list_appointment_types(runner: Runner[SchedulingUnitOfWork], *, limit: int,
                           after: list | None) -> keyset.Page:
    def query(uow: SchedulingUnitOfWork) -> keyset.Page:
        page = uow.appointment_types.list(limit=limit, after=after)
        for kind in page.items:
            list(kind.needs)  # loaded while the session is open
        return page

    return runner.read(query)
