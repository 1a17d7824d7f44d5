"""SeriesService over gRPC: translate requests to commands, series to messages."""

from __future__ import annotations

from clinic.scheduling.v1 import location_pb2
from clinic.scheduling.v1 import series_service_pb2 as pb
from clinic.scheduling.v1 import series_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import Name
from clinic_common.protoconv import fill_date, timestamp, to_date
from clinic_common.runner import RequestKey

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.location_details import check_slug
from clinic_scheduling.domain.series import SeriesPreferences
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.appointment_refs import appointment_message, ref_of
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.permissions import SERIES_RULES, visible_locations
from clinic_scheduling.service_layer import series

PATIENT = Name("patients/{patient}")
SERIES = Name("patients/{patient}/series/{series}")


def series_to_proto(view: series.SeriesView) -> pb.Series:
    message = pb.Series(
        name=SERIES.format(view.patient_id, view.series_id), series_id=view.series_id,
        patient_id=view.patient_id, appointment_type=view.appointment_type,
        appointments=[m.appointment_to_proto(a) for a in view.appointments],
        booked_count=view.booked, completed_count=view.completed,
        cancelled_count=view.cancelled, create_time=timestamp(view.created_at))
    if view.preferences is not None:
        message.preferences.CopyFrom(preferences_to_proto(view.preferences))
    return message


def _clock(value) -> location_pb2.TimeOfDay | None:
    return None if value is None else location_pb2.TimeOfDay(hours=value.hour,
                                                              minutes=value.minute)


def preferences_to_proto(prefs: SeriesPreferences) -> pb.SeriesPreferences:
    message = pb.SeriesPreferences(weekdays=sorted(prefs.weekdays),
                                   earliest_start_time=_clock(prefs.earliest_local),
                                   latest_start_time=_clock(prefs.latest_local),
                                   location_ids=list(prefs.location_ids))
    fill_date(message.start_date, prefs.start_date)
    return message


def _preferences(message: pb.SeriesPreferences) -> SeriesPreferences:
    weekdays = frozenset(message.weekdays)
    if any(not 1 <= d <= 7 for d in weekdays):
        raise FieldViolation("preferences.weekdays", "are ISO weekdays, 1 (Monday) to 7")
    ids = tuple(check_slug(i, "preferences.location_ids") for i in message.location_ids)
    if len(set(ids)) != len(ids):
        raise FieldViolation("preferences.location_ids", "names a location twice")
    earliest = m._time(message.earliest_start_time, "preferences.earliest_start_time") \
        if message.HasField("earliest_start_time") else None
    latest = m._time(message.latest_start_time, "preferences.latest_start_time") \
        if message.HasField("latest_start_time") else None
    if earliest and latest and latest < earliest:
        raise FieldViolation("preferences.latest_start_time", "is before earliest_start_time")
    return SeriesPreferences(
        start_date=to_date(message.start_date, "preferences.start_date"), weekdays=weekdays,
        earliest_local=earliest, latest_local=latest, location_ids=ids)


class SeriesServicer(pb_grpc.SeriesServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def BookSeries(self, request, context):
        patient_id = PATIENT.parse_one(request.parent, "parent")
        if not request.appointment_type:
            raise errors.field("appointment_type", "is required")
        if not request.HasField("preferences"):
            raise FieldViolation("preferences", "is required")
        view = series.book_series(series.BookSeries(
            patient_id=patient_id, appointment_type=request.appointment_type,
            preferences=_preferences(request.preferences),
            location_ids=visible_locations(SERIES_RULES["BookSeries"]),
            key=RequestKey.of(request)), self.runner, self.policy)
        return pb.BookSeriesResponse(series=series_to_proto(view))

    def GetSeries(self, request, context):
        patient_id, series_id = SERIES.parse(request.name)
        view = series.get_series(patient_id, series_id, self.runner,
                                 visible_locations(SERIES_RULES["GetSeries"]))
        return pb.GetSeriesResponse(series=series_to_proto(view))

    def ListSeries(self, request, context):
        patient_id = PATIENT.parse_one(request.parent, "parent")
        want = paging.page_request(request)
        views, next_key = series.list_series(
            patient_id, self.runner, visible_locations(SERIES_RULES["ListSeries"]),
            limit=want.size, after=want.after)
        return pb.ListSeriesResponse(series=[series_to_proto(v) for v in views],
                                     next_page_token=paging.next_page_token(next_key, request))

    def RebookSeriesSession(self, request, context):
        ref = ref_of(request, SERIES_RULES["RebookSeriesSession"])
        has_time = request.HasField("start_time")
        if has_time == request.next_available:
            raise FieldViolation("start_time", "give either start_time or next_available")
        series.rebook_session(series.RebookSession(
            location_id=ref.location_id, appointment_id=ref.appointment_id,
            start=m.instant(request.start_time, "start_time") if has_time else None,
            key=ref.key, scope=ref.scope), self.runner, self.policy)
        return pb.RebookSeriesSessionResponse(appointment=appointment_message(ref, self.runner))
