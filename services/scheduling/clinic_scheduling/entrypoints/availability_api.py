"""AvailabilityService over gRPC: translate the search, and its slots to messages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from clinic.scheduling.v1 import appointment_pb2
from clinic.scheduling.v1 import availability_service_pb2 as pb
from clinic.scheduling.v1 import availability_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.names import Name
from clinic_common.protoconv import timestamp, to_date
from clinic_common.runner import RequestKey

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.hold import SlotHold
from clinic_scheduling.domain.location_details import check_slug
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.entrypoints.permissions import AVAILABILITY_RULES, visible_locations
from clinic_scheduling.service_layer import availability, holds


def _slot(slot: availability.Slot) -> pb.AvailableSlot:
    return pb.AvailableSlot(
        location_id=slot.location_id, start_time=timestamp(slot.start),
        end_time=timestamp(slot.end), time_zone=slot.time_zone,
        local_start_time=slot.start.astimezone(ZoneInfo(slot.time_zone)).isoformat(),
        resource_ids=list(slot.resource_ids),
        staff=[appointment_pb2.AppointmentStaff(staff_member_id=i, role=need)
               for i, need in slot.staff])


HOLD = Name("locations/{location}/holds/{hold}")


def _hold(hold: SlotHold, now) -> pb.SlotHold:
    state = hold.status if hold.status != "HELD" or hold.active(now) else "EXPIRED"
    return pb.SlotHold(
        name=HOLD.format(hold.location_id, hold.hold_id), hold_id=hold.hold_id,
        patient_id=hold.patient_id, appointment_type=hold.appointment_type,
        start_time=timestamp(hold.start_time), end_time=timestamp(hold.end_time),
        resource_ids=list(hold.resource_ids), expire_time=timestamp(hold.expires_at),
        state=state, staff=[appointment_pb2.AppointmentStaff(staff_member_id=i, role=need)
                            for i, need, _ in hold.staff])


class AvailabilityServicer(pb_grpc.AvailabilityServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def SearchAvailability(self, request, context):
        if not request.appointment_type:
            raise errors.field("appointment_type", "is required")
        scope = visible_locations(AVAILABILITY_RULES["SearchAvailability"])
        asked = frozenset(check_slug(i, "location_ids") for i in request.location_ids)
        if asked:
            outside = sorted(asked - scope) if scope is not None else []
            if outside:
                raise errors.LocationNotFound(outside[0])
            wanted = asked
        else:
            wanted = scope
        want = paging.page_request(request)
        slots, next_key = availability.search(availability.AvailabilityQuery(
            appointment_type=request.appointment_type,
            start_date=to_date(request.start_date, "start_date"),
            end_date=to_date(request.end_date, "end_date"),
            location_ids=wanted, staff_member_id=request.staff_member_id,
            patient_id=request.patient_id), self.runner, self.policy,
            limit=want.size, after=want.after)
        return pb.SearchAvailabilityResponse(
            slots=[_slot(s) for s in slots],
            next_page_token=paging.next_page_token(next_key, request))

    def CreateHold(self, request, context):
        location_id = m.LOCATION.parse_one(request.parent, "parent")
        if not request.appointment_type:
            raise errors.field("appointment_type", "is required")
        hold = holds.create_hold(holds.CreateHold(
            location_id=location_id, patient_id=request.patient_id,
            appointment_type=request.appointment_type,
            start=m.instant(request.start_time, "start_time"), key=RequestKey.of(request)),
            self.runner, self.policy)
        return pb.CreateHoldResponse(hold=_hold(hold, self.runner.clock()))

    def ReleaseHold(self, request, context):
        location_id, hold_id = HOLD.parse(request.name)
        hold = holds.release_hold(location_id, hold_id, self.runner, RequestKey.of(request))
        return pb.ReleaseHoldResponse(hold=_hold(hold, self.runner.clock()))
