"""Where locations and appointment types are kept: ports and SQL adapters."""

from __future__ import annotations

import abc

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.domain.location import Location


class LocationRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, location: Location) -> None:
        """Store a new location; LocationAlreadyExists when its id is taken."""

    @abc.abstractmethod
    def get(self, location_id: str, *, lock: str | None = None) -> Location | None:
        """``lock="share"`` while booking at it, ``"update"`` while changing it: a booking
        and a change of the same location then wait for each other (PostgreSQL)."""

    @abc.abstractmethod
    def list(self, *, limit: int, after: list | None) -> keyset.Page:
        """A page of locations in id order."""


class SqlLocationRepository(LocationRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, location):
        self.session.add(location)
        try:
            self.session.flush()
        except IntegrityError:
            raise errors.LocationAlreadyExists(location.location_id) from None

    def get(self, location_id, *, lock=None):
        if lock is None:
            return self.session.get(Location, location_id)
        return self.session.get(Location, location_id, populate_existing=True,
                                with_for_update={"read": lock == "share"})

    def list(self, *, limit, after):
        return keyset.fetch(self.session, select(Location), [Location.location_id], after, limit)


class AppointmentTypeRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, code: str) -> AppointmentType | None: ...


class SqlAppointmentTypeRepository(AppointmentTypeRepository):
    def __init__(self, session: Session):
        self.session = session

    def get(self, code):
        return self.session.get(AppointmentType, code)
