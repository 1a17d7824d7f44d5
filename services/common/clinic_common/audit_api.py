"""AuditService: the audit trail of the service it runs in, for admins only."""

from __future__ import annotations

from clinic.audit.v1 import audit_service_pb2 as pb
from clinic.audit.v1 import audit_service_pb2_grpc as pb_grpc

from clinic_common import paging
from clinic_common.access import rule
from clinic_common.audit import AuditLog, AuditQuery
from clinic_common.errors import FieldViolation
from clinic_common.identity import Role
from clinic_common.protoconv import from_timestamp, timestamp

SERVICE = pb.DESCRIPTOR.services_by_name["AuditService"]
# Reading the trail shows who saw which patient: itself an access to audit.
RULES = {"ListAuditEvents": rule(Role.ADMIN, audit_response=False)}


class AuditServicer(pb_grpc.AuditServiceServicer):
    def __init__(self, log: AuditLog):
        self.log = log

    def ListAuditEvents(self, request, context):
        query = AuditQuery(
            patient_id=request.patient_id, actor=request.actor,
            start=from_timestamp(request.start_time, "start_time", required=False),
            end=from_timestamp(request.end_time, "end_time", required=False))
        if query.start and query.end and query.end <= query.start:
            raise FieldViolation("end_time", "must be after start_time")
        want = paging.page_request(request)
        page = self.log.page(query, limit=want.size, after=want.after)
        return pb.ListAuditEventsResponse(
            events=[_event(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))


def register(servicer: AuditServicer, server) -> None:
    pb_grpc.add_AuditServiceServicer_to_server(servicer, server)


def _event(row) -> pb.AuditEvent:
    return pb.AuditEvent(
        id=row.id, occur_time=timestamp(row.occurred_at), actor=row.actor,
        actor_roles=row.actor_roles, location_id=row.location_id, method=row.method,
        patient_id=row.patient_id, record=row.record, outcome=row.outcome, reason=row.reason,
        correlation_id=row.correlation_id, client_address=row.client_address,
        token_id=row.token_id)
