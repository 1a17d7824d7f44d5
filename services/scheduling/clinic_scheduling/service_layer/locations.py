"""Location use cases. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_common.unit_of_work import run_once

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.location import Location
from clinic_scheduling.domain.location_details import LocationDetails
from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


@dataclass(frozen=True)
class CreateLocation:
    location_id: str
    details: LocationDetails
    request_id: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class UpdateLocation:
    location_id: str
    details: LocationDetails
    fields: frozenset[str]
    request_id: str = ""
    fingerprint: str = ""


def create_location(cmd: CreateLocation, uow: SchedulingUnitOfWork, policy: SchedulingPolicy,
                    now: dt.datetime) -> str:
    """Creates a location; returns its id."""
    def action() -> str:
        if uow.locations.get(cmd.location_id) is not None:
            raise errors.LocationAlreadyExists(cmd.location_id)
        location = Location.create(cmd.location_id, cmd.details, policy.default_hours, now)
        uow.locations.add(location)
        return location.location_id

    try:
        with uow:
            return run_once(uow, "CreateLocation", cmd.request_id, cmd.fingerprint, action)
    except errors.LocationAlreadyExists:
        if cmd.request_id:  # a concurrent retry of this very request may have created it
            with uow:
                prior = uow.prior_result("CreateLocation", cmd.request_id, cmd.fingerprint)
            if prior is not None:
                return prior
        raise


def update_location(cmd: UpdateLocation, uow: SchedulingUnitOfWork, policy: SchedulingPolicy,
                    now: dt.datetime) -> str:
    """Changes the masked fields; unchanged values leave the row (and update_time) alone."""
    with uow:
        def action() -> str:
            location = uow.locations.get(cmd.location_id, lock="update")
            if location is None:
                raise errors.LocationNotFound(cmd.location_id)
            cmd.details.validate(set(cmd.fields))
            if "resources" in cmd.fields:
                _refuse_removing_booked_resources(uow, location, cmd.details, now)
            location.change(cmd.details, set(cmd.fields), policy.default_hours, now)
            return location.location_id

        return run_once(uow, "UpdateLocation", cmd.request_id, cmd.fingerprint, action)


def _refuse_removing_booked_resources(uow: SchedulingUnitOfWork, location: Location,
                                      details: LocationDetails, now: dt.datetime) -> None:
    removed = {r.resource_id for r in location.resources} - \
        {r.resource_id for r in details.resources}
    booked = uow.appointments.resources_booked_after(location.location_id, removed, now)
    if booked:
        raise errors.ResourceInUse(location.location_id, min(booked))


def get_location(location_id: str, uow: SchedulingUnitOfWork) -> Location:
    with uow:
        location = uow.locations.get(location_id)
        if location is None:
            raise errors.LocationNotFound(location_id)
        return location


def list_locations(uow: SchedulingUnitOfWork, *, limit: int, after: str | None) -> list[Location]:
    with uow:
        return uow.locations.list(limit=limit, after=after)
