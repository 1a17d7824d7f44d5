"""Appointment type use cases: read one, list them, change one."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment_type import AppointmentType, PartValue, TypeChange
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
            list(kind.needs), list(kind.parts)  # loaded while the session is open
        return page

    return runner.read(query)


@dataclass(frozen=True)
class UpdateAppointmentType:
    code: str
    values: TypeChange
    fields: frozenset[str]
    key: RequestKey = NO_KEY


def update_appointment_type(cmd: UpdateAppointmentType,
                            runner: Runner[SchedulingUnitOfWork]) -> AppointmentType:
    """Changes the masked fields; unchanged values leave the type (and its revision) alone."""
    def action(uow: SchedulingUnitOfWork, c) -> str:
        kind = uow.appointment_types.for_update(cmd.code)
        if kind is None:
            raise errors.AppointmentTypeNotFound(cmd.code, uow.appointment_types.codes())
        kind.change(cmd.values, set(cmd.fields))
        return kind.code

    def present(uow: SchedulingUnitOfWork, code: str) -> AppointmentType:
        kind = uow.appointment_types.loaded(code)
        list(kind.needs), list(kind.parts)  # loaded while the session is open
        return kind

    return runner.change_and_read("UpdateAppointmentType", cmd.key, action, present)[1]


@dataclass(frozen=True)
class CreateAppointmentType:
    code: str
    display_name: str
    modality: str
    required_certification: str
    parts: tuple[PartValue, ...]
    key: RequestKey = NO_KEY


def create_appointment_type(cmd: CreateAppointmentType,
                            runner: Runner[SchedulingUnitOfWork]) -> AppointmentType:
    """A new type from its parts; a code already taken is refused."""
    kind = AppointmentType.create(cmd.code, cmd.display_name, cmd.modality,
                                  cmd.required_certification, cmd.parts)

    def action(uow: SchedulingUnitOfWork, c) -> str:
        if uow.appointment_types.loaded(cmd.code) is not None:
            raise errors.AppointmentTypeAlreadyExists(cmd.code)
        uow.appointment_types.add(kind)
        return kind.code

    def present(uow: SchedulingUnitOfWork, code: str) -> AppointmentType:
        made = uow.appointment_types.loaded(code)
        list(made.needs), list(made.parts)  # loaded while the session is open
        return made

    return runner.change_and_read("CreateAppointmentType", cmd.key, action, present)[1]
