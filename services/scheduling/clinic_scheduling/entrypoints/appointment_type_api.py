"""AppointmentTypeService over gRPC: the kinds of visit, read and changed by field mask."""

from __future__ import annotations

from clinic.scheduling.v1 import appointment_type_service_pb2 as pb
from clinic.scheduling.v1 import appointment_type_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.runner import RequestKey

from clinic_scheduling.domain.appointment_type import UPDATABLE, UPDATABLE_BY_DEFAULT, TypeChange
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

    def UpdateAppointmentType(self, request, context):
        given = request.appointment_type
        code = m.APPOINTMENT_TYPE.parse_one(given.name, "appointment_type.name")
        paths = set(request.update_mask.paths) or set(UPDATABLE_BY_DEFAULT)
        unknown = sorted(paths - set(UPDATABLE))
        if unknown:
            raise FieldViolation("update_mask", f"cannot update {', '.join(unknown)}; "
                                 f"updatable: {', '.join(UPDATABLE)}")
        kind = appointment_types.update_appointment_type(appointment_types.UpdateAppointmentType(
            code=code, fields=frozenset(paths), key=RequestKey.of(request), values=TypeChange(
                display_name=given.display_name, duration_minutes=given.duration_minutes,
                observation_minutes=given.observation_minutes,
                required_certification=given.required_certification,
                duration_from_plan=given.duration_from_plan,
                resource_kinds=tuple(m.RESOURCE_KINDS.lenient(k) for k in given.resource_kinds),
                staff_roles=tuple(given.staff_roles),
                parts=m.parts_from_proto(given.parts))), self.runner)
        return pb.UpdateAppointmentTypeResponse(appointment_type=m.appointment_type_to_proto(kind))

    def CreateAppointmentType(self, request, context):
        given = request.appointment_type
        kind = appointment_types.create_appointment_type(appointment_types.CreateAppointmentType(
            code=request.appointment_type_id, display_name=given.display_name,
            modality=given.modality, required_certification=given.required_certification,
            parts=m.parts_from_proto(given.parts), key=RequestKey.of(request)), self.runner)
        return pb.CreateAppointmentTypeResponse(appointment_type=m.appointment_type_to_proto(kind))
