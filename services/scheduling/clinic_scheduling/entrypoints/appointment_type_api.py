"""AppointmentTypeService over gRPC: the kinds of visit, read-only."""

from __future__ import annotations

from clinic.scheduling.v1 import appointment_type_service_pb2 as pb
from clinic.scheduling.v1 import appointment_type_service_pb2_grpc as pb_grpc
from clinic_common import paging

from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.service_layer import appointment_types


class AppointmentTypeServicer(pb_grpc.AppointmentTypeServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner

    def GetAppointmentType(self, request, context):
        kind = appointment_types.get_appointment_type(
            m.APPOINTMENT_TYPE.parse_one(request.name), self.runner)
        return pb.GetAppointmentTypeResponse(appointment_type=m.appointment_type_to_proto(kind))

    def ListAppointmentTypes(self, request, context):
        want = paging.page_request(request)
        page = appointment_types.list_appointment_types(self.runner, limit=want.size,
                                                        after=want.after)
        return pb.ListAppointmentTypesResponse(
            appointment_types=[m.appointment_type_to_proto(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))
