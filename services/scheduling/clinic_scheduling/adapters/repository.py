"""Where locations and appointment types are kept: ports and SQL adapters."""

from __future__ import annotations

import abc
import threading
import weakref

from clinic_common import keyset
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic_scheduling.adapters import tables
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

    def for_booking(self, location_id: str) -> Location | None:
        """The location, share-locked as :meth:`get` with ``lock="share"``, for reading only."""
        return self.get(location_id, lock="share")


class _ConfigCache:
    """Locations and appointment types as last read, per database: a booking reads them on
    every call and they change rarely. Each row carries a revision that a change counts up,
    so a process reloads what another one changed. The objects are detached and only
    read."""

    _by_engine: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    _lock = threading.Lock()

    @classmethod
    def of(cls, session: Session) -> dict:
        engine = session.get_bind()
        with cls._lock:
            return cls._by_engine.setdefault(engine, {"locations": {}, "types": {}})


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

    def for_booking(self, location_id):
        """Locks the location's row for sharing (one small query), and reuses the location
        read before while its revision has not moved."""
        t = tables.locations
        row = self.session.execute(select(t.c.revision).where(t.c.location_id == location_id)
                                   .with_for_update(read=True)).first()
        if row is None:
            return None
        cached = _ConfigCache.of(self.session)["locations"]
        revision, location = cached.get(location_id, (None, None))
        if location is not None and revision == row.revision:
            return location
        location = self.session.get(Location, location_id, populate_existing=True)
        self.session.expunge(location)
        cached[location_id] = (row.revision, location)
        return location

    def list(self, *, limit, after):
        return keyset.fetch(self.session, select(Location), [Location.location_id], after, limit)


class AppointmentTypeRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, code: str) -> AppointmentType | None: ...

    @abc.abstractmethod
    def codes(self) -> list[str]:
        """Every known type's code, sorted: what an unknown code is told to pick from."""

    @abc.abstractmethod
    def list(self, *, limit: int, after: list | None) -> keyset.Page:
        """A page of types in code order."""


class SqlAppointmentTypeRepository(AppointmentTypeRepository):
    def __init__(self, session: Session):
        self.session = session

    def get(self, code):
        """The type as last read while its revision has not moved (one small query)."""
        t = tables.appointment_types
        revision = self.session.scalar(select(t.c.revision).where(t.c.code == code))
        if revision is None:
            return None
        types = _ConfigCache.of(self.session)["types"]
        cached_revision, kind = types.get(code, (None, None))
        if kind is None or cached_revision != revision:
            kind = self.session.get(AppointmentType, code, populate_existing=True)
            # loaded before it leaves the session
            list(kind.needs), list(kind.lines), list(kind.parts)
            self.session.expunge(kind)
            types[code] = (revision, kind)
        return kind

    def add(self, kind):
        self.session.add(kind)
        self.session.flush()

    def for_update(self, code):
        """The type, row-locked, attached to the session, to change it."""
        return self.session.get(AppointmentType, code, populate_existing=True,
                                with_for_update=True)

    def loaded(self, code):
        """The type as this session has it (a change made in it included)."""
        return self.session.get(AppointmentType, code)

    def codes(self):
        return list(self.session.scalars(select(AppointmentType.code).order_by(
            AppointmentType.code)))

    def list(self, *, limit, after):
        return keyset.fetch(self.session, select(AppointmentType), [AppointmentType.code],
                            after, limit)
