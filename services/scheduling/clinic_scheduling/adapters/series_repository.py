"""A treatment series' preferences in their table (Core statements; one flat row a series).
A series booked before migration 0018_hold_staff has none."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clinic_scheduling.adapters.tables import series_preferences as P
from clinic_scheduling.domain.series import SeriesPreferences


class SqlSeriesRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_preferences(self, series_id: str, patient_id: str, prefs: SeriesPreferences,
                        now: dt.datetime) -> None:
        self.session.execute(P.insert().values(
            series_id=series_id, patient_id=patient_id,
            weekday_list=",".join(str(d) for d in sorted(prefs.weekdays)),
            earliest_start=prefs.earliest_local, latest_start=prefs.latest_local,
            location_list=",".join(prefs.location_ids), start_date=prefs.start_date,
            created_at=now))

    def preferences(self, series_id: str) -> SeriesPreferences | None:
        row = self.session.execute(select(P).where(P.c.series_id == series_id)).first()
        if row is None:
            return None
        return SeriesPreferences(
            start_date=row.start_date,
            weekdays=frozenset(int(d) for d in row.weekday_list.split(",") if d),
            earliest_local=row.earliest_start, latest_local=row.latest_start,
            location_ids=tuple(i for i in row.location_list.split(",") if i))

    def repoint(self, from_patient_id: str, to_patient_id: str) -> None:
        """A merged-away patient's series are the survivor's (their sessions move too)."""
        self.session.execute(update(P).where(P.c.patient_id == from_patient_id)
                             .values(patient_id=to_patient_id))
