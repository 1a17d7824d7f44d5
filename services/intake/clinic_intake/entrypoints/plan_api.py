"""TreatmentPlanService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import treatment_plan_pb2 as tp
from clinic.intake.v1 import treatment_plan_service_pb2 as pb
from clinic.intake.v1 import treatment_plan_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import EnumMap, timestamp

from clinic_intake.domain import icd10cm
from clinic_intake.domain.dosing import DoseRequest
from clinic_intake.domain.plans import PlanVersion, TreatmentPlan
from clinic_intake.domain.policy import Series
from clinic_intake.entrypoints import common
from clinic_intake.entrypoints.candidacy_messages import modality_in, modality_out
from clinic_intake.service_layer import plans
from clinic_intake.service_layer.deps import Deps

# Mask paths a caller may name, and the changes each stands for.
MASK = {"indication_code": {"indication_code"}, "protocol": {"protocol"},
        "series": set(plans.SERIES_FIELDS), "dose": {"dose"}, "dose.dose_mcg": {"dose"},
        "dose.adjustment_reason": {"dose"}, "dose.duration_minutes": {"dose"},
        "dose.first_dose_mcg": {"dose"},
        **{name: {name} for name in plans.SERIES_FIELDS}}


def _series(message: tp.Series) -> Series:
    return Series(message.sessions, message.min_spacing_hours, message.window_days)


def _dose(message: tp.Dose) -> DoseRequest:
    return DoseRequest(message.dose_mcg, message.adjustment_reason, message.duration_minutes,
                       message.first_dose_mcg)


def _changes(paths) -> frozenset[str]:
    changes = set()
    for path in paths:
        if path not in MASK:
            raise FieldViolation("update_mask", f"{path!r} is not a field that can be amended")
        changes |= MASK[path]
    return frozenset(changes)


def to_proto(plan: TreatmentPlan, v: PlanVersion) -> tp.TreatmentPlan:
    prefix = f"patients/{plan.patient_id}"
    return tp.TreatmentPlan(
        name=f"{prefix}/treatmentPlans/{plan.plan_id}", plan_id=plan.plan_id,
        modality=modality_out(plan.modality), state=EnumMap(tp.TreatmentPlanState).to_proto(plan.state),
        version=v.version, indication_code=v.indication_code,
        indication_description=icd10cm.description(v.indication_code),
        series=tp.Series(sessions=v.sessions, min_spacing_hours=v.min_spacing_hours,
                         window_days=v.window_days),
        dose=tp.Dose(dose_mcg=v.dose_mcg, computed_dose_mcg=v.computed_dose_mcg,
                     mg_per_kg=v.mg_per_kg, weight_grams=v.weight_grams,
                     weight_vitals=f"{prefix}/vitals/{v.weight_vitals_id}"
                     if v.weight_vitals_id else "",
                     weight_measure_time=timestamp(v.weight_measured_at)
                     if v.weight_measured_at else None,
                     adjustment_reason=v.adjustment_reason,
                     duration_minutes=v.duration_minutes,
                     mg_per_kg_per_hour=v.mg_per_kg_per_hour,
                     first_dose_mcg=v.first_dose_mcg),
        protocol=v.protocol_id,
        candidacy_decision=f"{prefix}/candidacyDecisions/{plan.decision_id}",
        written_by=v.written_by, version_reason=v.reason,
        create_time=timestamp(plan.created_at), version_time=timestamp(v.written_at),
        end_time=timestamp(plan.ended_at) if plan.ended_at else None,
        end_reason=EnumMap(tp.TreatmentPlanEndReason).to_proto(plan.end_reason),
        ended_by=plan.ended_by)


def _name(name: str, field: str = "name") -> tuple[str, str]:
    return common.PLAN.parse(name, field)


class TreatmentPlanServicer(pb_grpc.TreatmentPlanServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def _plan(self, patient_id: str, plan_id: str) -> tp.TreatmentPlan:
        return to_proto(*plans.get_plan(patient_id, plan_id, self.deps))

    def CreateTreatmentPlan(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        p = request.plan
        modality = modality_in(p.modality, "plan.modality")
        if not modality:
            raise FieldViolation("plan.modality", "is required")
        plan_id = plans.create_plan(plans.CreatePlan(
            patient_id=patient_id, modality=modality, indication_code=p.indication_code,
            series=_series(p.series), protocol=p.protocol, dose=_dose(p.dose), **meta),
            self.deps)
        return pb.CreateTreatmentPlanResponse(plan=self._plan(patient_id, plan_id))

    def GetTreatmentPlan(self, request, context):
        return pb.GetTreatmentPlanResponse(plan=self._plan(*_name(request.name)))

    def ListTreatmentPlans(self, request, context):
        want = paging.page_request(request)
        page = plans.list_plans(common.patient_id(request.parent, "parent"), self.deps,
                                limit=want.size, after=want.after)
        return pb.ListTreatmentPlansResponse(plans=[to_proto(*item) for item in page.items],
                                             next_page_token=paging.next_page_token(page.next_key, request))

    def ListTreatmentPlanVersions(self, request, context):
        want = paging.page_request(request)
        page = plans.list_versions(*_name(request.name), self.deps, limit=want.size, after=want.after)
        return pb.ListTreatmentPlanVersionsResponse(
            versions=[to_proto(*item) for item in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def AmendTreatmentPlan(self, request, context):
        meta = common.change(request)
        patient_id, plan_id = _name(request.plan.name, "plan.name")
        p = request.plan
        plans.amend_plan(plans.AmendPlan(
            patient_id=patient_id, plan_id=plan_id, changes=_changes(request.update_mask.paths),
            reason=request.reason, indication_code=p.indication_code, series=_series(p.series),
            protocol=p.protocol, dose=_dose(p.dose), **meta), self.deps)
        return pb.AmendTreatmentPlanResponse(plan=self._plan(patient_id, plan_id))

    def EndTreatmentPlan(self, request, context):
        meta = common.change(request)
        patient_id, plan_id = _name(request.name)
        plans.end_plan(plans.EndPlan(
            patient_id=patient_id, plan_id=plan_id,
            reason=EnumMap(tp.TreatmentPlanEndReason).to_domain(request.reason, "reason"), **meta),
            self.deps)
        return pb.EndTreatmentPlanResponse(plan=self._plan(patient_id, plan_id))
