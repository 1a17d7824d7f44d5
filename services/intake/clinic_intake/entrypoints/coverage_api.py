"""CoverageService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import coverage_pb2
from clinic.intake.v1 import coverage_service_pb2 as pb
from clinic.intake.v1 import coverage_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import EnumMap, fill_date, timestamp, to_date

from clinic_intake.domain.coverage import Coverage
from clinic_intake.entrypoints import common
from clinic_intake.service_layer import coverages
from clinic_intake.service_layer.deps import Deps


def _details(c: coverage_pb2.Coverage) -> dict:
    return {
        "payer_id": c.payer_id, "payer_name": c.payer_name, "member_id": c.member_id,
        "group_number": c.group_number, "subscriber_name": c.subscriber_name,
        "subscriber_date_of_birth": to_date(c.subscriber_date_of_birth,
                                            "coverage.subscriber_date_of_birth", required=False),
        "subscriber_relationship": EnumMap(coverage_pb2.SubscriberRelationship).to_domain(c.subscriber_relationship,
                                                  "coverage.subscriber_relationship"),
        "plan_type": EnumMap(coverage_pb2.PlanType).to_domain(c.plan_type, "coverage.plan_type"),
        "priority": c.priority,
        "effective_date": to_date(c.effective_date, "coverage.effective_date", required=False),
        "end_date": to_date(c.end_date, "coverage.end_date", required=False),
        "card_front_image_uri": c.card_front_image_uri,
        "card_back_image_uri": c.card_back_image_uri,
    }


def to_proto(c: Coverage) -> coverage_pb2.Coverage:
    message = coverage_pb2.Coverage(
        name=f"patients/{c.patient_id}/coverages/{c.coverage_id}", coverage_id=c.coverage_id,
        payer_id=c.payer_id, payer_name=c.payer_name, member_id=c.member_id,
        group_number=c.group_number, subscriber_name=c.subscriber_name,
        subscriber_relationship=EnumMap(coverage_pb2.SubscriberRelationship).to_proto(c.subscriber_relationship),
        plan_type=EnumMap(coverage_pb2.PlanType).to_proto(c.plan_type), priority=c.priority,
        card_front_image_uri=c.card_front_image_uri, card_back_image_uri=c.card_back_image_uri,
        ended=c.ended, revision=c.revision, create_time=timestamp(c.created_at),
        update_time=timestamp(c.updated_at))
    fill_date(message.subscriber_date_of_birth, c.subscriber_date_of_birth)
    fill_date(message.effective_date, c.effective_date)
    fill_date(message.end_date, c.end_date)
    return message


def _name(name: str, field: str = "name") -> tuple[str, str]:
    return common.COVERAGE.parse(name, field)


class CoverageServicer(pb_grpc.CoverageServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def CreateCoverage(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        if not request.HasField("coverage"):
            raise FieldViolation("coverage", "is required")
        coverage_id = coverages.add_coverage(coverages.AddCoverage(
            patient_id=patient_id, details=_details(request.coverage), **meta), self.deps)
        found = coverages.get_coverage(patient_id, coverage_id, self.deps)
        return pb.CreateCoverageResponse(coverage=to_proto(found))

    def GetCoverage(self, request, context):
        found = coverages.get_coverage(*_name(request.name), self.deps)
        return pb.GetCoverageResponse(coverage=to_proto(found))

    def ListCoverages(self, request, context):
        want = paging.page_request(request)
        page = coverages.list_coverages(common.patient_id(request.parent, "parent"), self.deps,
                                        limit=want.size, after=want.after)
        return pb.ListCoveragesResponse(coverages=[to_proto(c) for c in page.items],
                                        next_page_token=paging.next_page_token(page.next_key, request))

    def ListActiveCoverages(self, request, context):
        want = paging.page_request(request)
        page = coverages.list_coverages(common.patient_id(request.parent, "parent"), self.deps,
                                        limit=want.size, after=want.after,
                                        on=to_date(request.date, "date"))
        return pb.ListActiveCoveragesResponse(coverages=[to_proto(c) for c in page.items],
                                              next_page_token=paging.next_page_token(page.next_key, request))

    def EndCoverage(self, request, context):
        meta = common.change(request)
        patient_id, coverage_id = _name(request.name)
        coverages.end_coverage(coverages.EndCoverage(
            patient_id=patient_id, coverage_id=coverage_id,
            end_date=to_date(request.end_date, "end_date"), **meta), self.deps)
        found = coverages.get_coverage(patient_id, coverage_id, self.deps)
        return pb.EndCoverageResponse(coverage=to_proto(found))
