"""Location use cases, run by the shared runner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.location_details import LocationDetails
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


@dataclass(frozen=True)
class CreateLocation:
    location_id: str
    details: LocationDetails
    key: RequestKey = NO_KEY


@dataclass(frozen=True)
class UpdateLocation:
    location_id: str
    details: LocationDetails
    fields: frozenset[str]
    key: RequestKey = NO_KEY


def create_location(cmd: CreateLocation, runner: Runner[SchedulingUnitOfWork],
                    policy: SchedulingPolicy) -> str:
    """Creates a location; returns its id. A concurrent retry of the same request gets the
    location the first one created (the runner)."""
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        if uow.locations.get(cmd.location_id) is not None:
            raise errors.LocationAlreadyExists(cmd.location_id)
        _require_known_types(uow, cmd.details)
        location = Location.create(cmd.location_id, cmd.details, policy.default_hours, c.now)
        uow.locations.add(location)
        return location.location_id

    return runner.change("CreateLocation", cmd.key, action)


def update_location(cmd: UpdateLocation, runner: Runner[SchedulingUnitOfWork],
                    policy: SchedulingPolicy) -> str:
    """Changes the masked fields; unchanged values leave the row (and update_time) alone."""
    def action(uow: SchedulingUnitOfWork, c: Change) -> str:
        location = uow.locations.get(cmd.location_id, lock="update")
        if location is None:
            raise errors.LocationNotFound(cmd.location_id)
        cmd.details.validate(set(cmd.fields))
        if "appointment_types" in cmd.fields:
            _require_known_types(uow, cmd.details)
        if "resources" in cmd.fields:
            _refuse_removing_booked_resources(uow, location, cmd.details, c.now)
        location.change(cmd.details, set(cmd.fields), policy.default_hours, c.now)
        return location.location_id

    return runner.change("UpdateLocation", cmd.key, action)


def _require_known_types(uow: SchedulingUnitOfWork, details: LocationDetails) -> None:
    known = uow.appointment_types.codes()
    unknown = sorted(set(details.appointment_types) - set(known))
    if unknown:
        raise errors.AppointmentTypeUnknown("location.appointment_types", unknown[0], known)


def _refuse_removing_booked_resources(uow: SchedulingUnitOfWork, location: Location,
                                      details: LocationDetails, now: dt.datetime) -> None:
    removed = {r.resource_id for r in location.resources} - \
        {r.resource_id for r in details.resources}
    booked = uow.appointments.resources_booked_after(location.location_id, removed, now)
    if booked:
        raise errors.ResourceInUse(location.location_id, min(booked))


def get_location(location_id: str, runner: Runner[SchedulingUnitOfWork]) -> Location:
    def query(uow: SchedulingUnitOfWork) -> Location:
        location = uow.locations.get(location_id)
        if location is None:
            raise errors.LocationNotFound(location_id)
        return location

    return runner.read(query)


def list_locations(runner: Runner[SchedulingUnitOfWork], *, limit: int,
                   after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.locations.list(limit=limit, after=after))
