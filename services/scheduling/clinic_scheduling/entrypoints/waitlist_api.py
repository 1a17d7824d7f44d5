"""WaitlistService over gRPC: translate requests to commands, entries to messages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from clinic.scheduling.v1 import waitlist_service_pb2 as pb
from clinic.scheduling.v1 import waitlist_service_pb2_grpc as pb_grpc
from clinic_common import audit, paging
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD, Name
from clinic_common.protoconv import timestamp
from clinic_common.runner import RequestKey

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.location_details import check_slug
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.permissions import HOLD, WAITLIST_RULES, visible_locations
from clinic_scheduling.service_layer import waitlist

PATIENT = Name("patients/{patient}")
# A list's parent: one patient, or "patients/-" for every patient's entries.
PATIENTS = Name("patients/{patient}", wildcard=True)
ENTRY = Name("patients/{patient}/waitlistEntries/{entry}")
# An entry's name as a request may give it: "patients/-/waitlistEntries/{entry}" finds it
# whoever's it is.
ANY_ENTRY = Name("patients/{patient}/waitlistEntries/{entry}", wildcard=True)
STATES = {"WAITING": pb.WAITLIST_ENTRY_STATE_WAITING, "OFFERED": pb.WAITLIST_ENTRY_STATE_OFFERED,
          "FULFILLED": pb.WAITLIST_ENTRY_STATE_FULFILLED,
          "CANCELLED": pb.WAITLIST_ENTRY_STATE_CANCELLED,
          "EXPIRED": pb.WAITLIST_ENTRY_STATE_EXPIRED}


def entry_to_proto(view: waitlist.EntryView) -> pb.WaitlistEntry:
    e = view.entry
    message = pb.WaitlistEntry(
        name=ENTRY.format(e.patient_id, e.entry_id), entry_id=e.entry_id,
        patient_id=e.patient_id, appointment_type=e.appointment_type,
        location_ids=list(e.location_ids), earliest_start_time=timestamp(e.earliest_start),
        latest_start_time=timestamp(e.latest_start), state=STATES[e.status],
        create_time=timestamp(e.created_at), update_time=timestamp(e.updated_at))
    if e.current_appointment_id:
        message.current_appointment = m.APPOINTMENT.format(e.current_location_id,
                                                           e.current_appointment_id)
    if e.appointment_id:
        message.appointment = m.APPOINTMENT.format(e.appointment_location_id, e.appointment_id)
    if view.offer is not None:
        o = view.offer
        message.offer.CopyFrom(pb.WaitlistOffer(
            offer_id=o.offer_id, location_id=o.location_id, start_time=timestamp(o.start_time),
            end_time=timestamp(o.end_time), time_zone=view.time_zone,
            local_start_time=waitlist_local(o.start_time, view.time_zone),
            resource_ids=list(view.resource_ids), hold=HOLD.format(o.location_id, o.hold_id),
            expire_time=timestamp(o.expires_at)))
    return message


def waitlist_local(at, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).isoformat()


def _current(name: str) -> tuple[str, str] | None:
    if not name:
        return None
    return m.ANY_APPOINTMENT.parse(name, "waitlist_entry.current_appointment")


class WaitlistServicer(pb_grpc.WaitlistServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def CreateWaitlistEntry(self, request, context):
        patient_id = PATIENT.parse_one(request.parent, "parent")
        entry = request.waitlist_entry
        if not entry.appointment_type:
            raise errors.field("waitlist_entry.appointment_type", "is required")
        ids = tuple(check_slug(i, "waitlist_entry.location_ids") for i in entry.location_ids)
        if len(set(ids)) != len(ids):
            raise FieldViolation("waitlist_entry.location_ids", "names a location twice")
        earliest = m.instant(entry.earliest_start_time, "waitlist_entry.earliest_start_time")
        latest = m.instant(entry.latest_start_time, "waitlist_entry.latest_start_time")
        if latest <= earliest:
            raise FieldViolation("waitlist_entry.latest_start_time",
                                 "is not after earliest_start_time")
        view = waitlist.join(waitlist.JoinWaitlist(
            patient_id=patient_id, appointment_type=entry.appointment_type, location_ids=ids,
            earliest_start=earliest, latest_start=latest,
            current=_current(entry.current_appointment), key=RequestKey.of(request),
            scope=visible_locations(WAITLIST_RULES["CreateWaitlistEntry"])), self.runner)
        return pb.CreateWaitlistEntryResponse(waitlist_entry=entry_to_proto(view))

    def GetWaitlistEntry(self, request, context):
        patient_id, entry_id = ANY_ENTRY.parse(request.name)
        view = waitlist.get_entry(patient_id, entry_id, self.runner, audit.concerns,
                                  visible_locations(WAITLIST_RULES["GetWaitlistEntry"]))
        return pb.GetWaitlistEntryResponse(waitlist_entry=entry_to_proto(view))

    def ListWaitlistEntries(self, request, context):
        patient_id = PATIENTS.parse_one(request.parent, "parent")
        location_id = check_slug(request.location_id, "location_id") \
            if request.location_id else None
        want = paging.page_request(request)
        views, next_key = waitlist.list_entries(waitlist.EntryQuery(
            patient_id=None if patient_id == WILDCARD else patient_id,
            appointment_type=request.appointment_type or None, location_id=location_id,
            show_closed=request.show_closed,
            scope=visible_locations(WAITLIST_RULES["ListWaitlistEntries"])),
            self.runner, limit=want.size, after=want.after)
        for view in views:
            audit.concerns(view.entry.patient_id)
        return pb.ListWaitlistEntriesResponse(
            waitlist_entries=[entry_to_proto(v) for v in views],
            next_page_token=paging.next_page_token(next_key, request))

    def _ref(self, request, method: str) -> waitlist.EntryRef:
        patient_id, entry_id = ANY_ENTRY.parse(request.name)
        return waitlist.EntryRef(patient_id, entry_id, RequestKey.of(request),
                                 visible_locations(WAITLIST_RULES[method]))

    def CancelWaitlistEntry(self, request, context):
        view = waitlist.cancel_entry(self._ref(request, "CancelWaitlistEntry"), self.runner,
                                     self.policy)
        return pb.CancelWaitlistEntryResponse(waitlist_entry=entry_to_proto(view))

    def AcceptWaitlistOffer(self, request, context):
        view = waitlist.accept_offer(self._ref(request, "AcceptWaitlistOffer"), self.runner,
                                     self.policy)
        return pb.AcceptWaitlistOfferResponse(waitlist_entry=entry_to_proto(view))

    def DeclineWaitlistOffer(self, request, context):
        view = waitlist.decline_offer(self._ref(request, "DeclineWaitlistOffer"), self.runner,
                                      self.policy)
        return pb.DeclineWaitlistOfferResponse(waitlist_entry=entry_to_proto(view))
