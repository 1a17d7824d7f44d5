"""Writing, amending and ending treatment plans."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import timestamp
from clinic_common.runner import Change

from clinic_intake.domain import candidacy, common, dosing, errors, plans
from clinic_intake.domain.dosing import Dose, DoseRequest
from clinic_intake.domain.plans import PlanVersion, TreatmentPlan
from clinic_intake.domain.policy import Series
from clinic_intake.domain.protocols import Protocol
from clinic_intake.service_layer.deps import Deps, Mutation, active_patient, patient

SERIES_FIELDS = ("series.sessions", "series.min_spacing_hours", "series.window_days")
AMENDABLE = frozenset({"indication_code", "protocol", "dose", *SERIES_FIELDS})


@dataclass(frozen=True, kw_only=True)
class CreatePlan(Mutation):
    patient_id: str
    modality: str
    indication_code: str
    series: Series
    protocol: str = ""  # needed only where several protocols cover the indication
    dose: DoseRequest = field(default_factory=DoseRequest)


@dataclass(frozen=True, kw_only=True)
class AmendPlan(Mutation):
    patient_id: str
    plan_id: str
    changes: frozenset[str]
    reason: str
    indication_code: str = ""
    series: Series = field(default_factory=lambda: Series(0, 0, 0))
    protocol: str = ""
    dose: DoseRequest = field(default_factory=DoseRequest)


@dataclass(frozen=True, kw_only=True)
class EndPlan(Mutation):
    patient_id: str
    plan_id: str
    reason: str


def _dose(uow, deps: Deps, patient_id: str, protocol: Protocol, asked: DoseRequest,
          now) -> Dose:
    weight = uow.vitals.latest(patient_id, "weight_grams") if protocol.rule.weighted else None
    return dosing.dose(protocol, asked, weight, deps.policy, now)


def _modality(value: str) -> int:
    return events_pb2.Modality.Value(f"MODALITY_{value}")


def _clearance(uow, deps: Deps, patient_id: str, modality: str) -> str:
    """The clearance a new plan rests on, with what must still hold since it was given."""
    decision = uow.decisions.latest(patient_id, modality)
    if decision is None or not decision.clears:
        raise errors.Refused("NOT_CLEARED", f"the patient's latest candidacy decision for "
                             f"{modality} is not a clearance")
    candidacy.standing_consents(modality, uow.consents.for_patient(patient_id), deps.policy)
    candidacy.no_open_flags(uow.safety_flags.page(patient_id, limit=1, open_only=True).items)
    if uow.plans.active(patient_id, modality) is not None:
        raise errors.PlanExists(modality)
    return decision.decision_id


def create_plan(cmd: CreatePlan, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        indication = common.icd10(cmd.indication_code, "plan.indication_code")
        protocol = deps.protocols.choose(cmd.modality, indication, cmd.protocol)
        chosen = plans.series(cmd.modality, cmd.series, deps.policy)
        decision_id = _clearance(uow, deps, cmd.patient_id, cmd.modality)
        dose = _dose(uow, deps, cmd.patient_id, protocol, cmd.dose, now)
        plan, first = TreatmentPlan.create(cmd.patient_id, cmd.modality, decision_id,
                                           indication, chosen, dose, c.actor, now,
                                           protocol_id=protocol.protocol_id)
        uow.plans.add(plan)
        uow.plans.add_version(first)
        uow.emit(events_pb2.TreatmentPlanCreated(
            patient_id=plan.patient_id, plan_id=plan.plan_id, version=1,
            modality=_modality(plan.modality), indication_code=first.indication_code,
            series_sessions=first.sessions, min_spacing_hours=first.min_spacing_hours,
            series_window_days=first.window_days, dose_mcg=first.dose_mcg,
            candidacy_decision_id=decision_id, protocol=first.protocol_id,
            duration_minutes=first.duration_minutes, first_dose_mcg=first.first_dose_mcg,
            weight_measure_time=timestamp(first.weight_measured_at)),
            key=plan.patient_id)
        return plan.plan_id

    return deps.runner.change("CreateTreatmentPlan", cmd.key, action)


def plan_of(uow, patient_id: str, plan_id: str) -> TreatmentPlan:
    found = uow.plans.get(plan_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("treatment plan", plan_id)
    return found


def _amended(uow, deps: Deps, cmd: AmendPlan, plan: TreatmentPlan, current: PlanVersion,
             c: Change):
    changes = cmd.changes
    indication = common.icd10(cmd.indication_code, "plan.indication_code") \
        if "indication_code" in changes else current.indication_code
    requested = Series(*(getattr(cmd.series, name.split(".")[1]) if name in changes
                         else getattr(current, name.split(".")[1]) for name in SERIES_FIELDS))
    chosen = plans.series(plan.modality, requested, deps.policy) \
        if changes & set(SERIES_FIELDS) else current.series
    protocol_id, dose = current.protocol_id, current.dose
    if changes & {"protocol", "indication_code", "dose"}:
        protocol = _protocol(deps, cmd, plan, current, indication)
        if "dose" in changes or protocol.protocol_id != current.protocol_id:
            dose = _dose(uow, deps, plan.patient_id, protocol, cmd.dose, c.now)
        if protocol.protocol_id == current.protocol_id and current.first_dose_mcg:
            # The first session's dose was set when the plan was written.
            dose = dataclasses.replace(dose, first_dose_mcg=current.first_dose_mcg)
        protocol_id = protocol.protocol_id
    return current.next(indication_code=indication, series=chosen, dose=dose,
                        reason=cmd.reason.strip(), staff_id=c.actor, now=c.now,
                        protocol_id=protocol_id)


def _protocol(deps: Deps, cmd: AmendPlan, plan: TreatmentPlan, current: PlanVersion,
              indication: str) -> Protocol:
    """The protocol named in the amendment, else the current one if it still covers the
    indication, else the one that does."""
    if "protocol" in cmd.changes:
        return deps.protocols.choose(plan.modality, indication, cmd.protocol)
    kept = deps.protocols.get(current.protocol_id)
    if kept is not None and kept.indications.covers(indication):
        return kept
    return deps.protocols.choose(plan.modality, indication)


def amend_plan(cmd: AmendPlan, deps: Deps) -> str:
    """Writes a new version with the changes; the old one is kept. No change, no version."""
    common.required_text(cmd.reason, "reason", 1000)
    if not cmd.changes or not cmd.changes <= AMENDABLE:
        raise errors.field("update_mask", f"must name some of {sorted(AMENDABLE)}")

    def action(uow, c: Change) -> str:
        active_patient(uow, cmd.patient_id)
        plan = plan_of(uow, cmd.patient_id, cmd.plan_id)
        plan.ensure_active()
        current = uow.plans.version(plan.plan_id, plan.version)
        new = _amended(uow, deps, cmd, plan, current, c)
        if plan.amend(current, new):
            uow.plans.add_version(new)
            uow.emit(events_pb2.TreatmentPlanAmended(
                patient_id=plan.patient_id, plan_id=plan.plan_id, version=new.version,
                series_sessions=new.sessions, min_spacing_hours=new.min_spacing_hours,
                series_window_days=new.window_days, dose_mcg=new.dose_mcg,
                indication_code=new.indication_code, protocol=new.protocol_id,
                duration_minutes=new.duration_minutes, first_dose_mcg=new.first_dose_mcg,
                weight_measure_time=timestamp(new.weight_measured_at)),
                key=plan.patient_id)
        return plan.plan_id

    return deps.runner.change("AmendTreatmentPlan", cmd.key, action)


def end_plan(cmd: EndPlan, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        plan = plan_of(uow, cmd.patient_id, cmd.plan_id)
        plan.end(cmd.reason, c.actor, now)
        uow.emit(events_pb2.TreatmentPlanEnded(
            patient_id=plan.patient_id, plan_id=plan.plan_id, reason=plan.end_reason.lower(),
            end_time=timestamp(now)), key=plan.patient_id)
        return plan.plan_id

    return deps.runner.change("EndTreatmentPlan", cmd.key, action)


def get_plan(patient_id: str, plan_id: str, deps: Deps) -> tuple[TreatmentPlan, PlanVersion]:
    def query(uow):
        plan = plan_of(uow, patient_id, plan_id)
        return plan, uow.plans.version(plan.plan_id, plan.version)

    return deps.runner.read(query)


def list_plans(patient_id: str, deps: Deps, *, limit: int, after: list | None):
    """A page of (plan, its current version)."""
    def query(uow):
        patient(uow, patient_id)
        page = uow.plans.page(patient_id, limit=limit, after=after)
        page.items = [(p, uow.plans.version(p.plan_id, p.version)) for p in page.items]
        return page

    return deps.runner.read(query)


def list_versions(patient_id: str, plan_id: str, deps: Deps, *, limit: int,
                  after: list | None):
    """A page of (plan, one of its versions), oldest version first."""
    def query(uow):
        plan = plan_of(uow, patient_id, plan_id)
        page = uow.plans.versions(plan_id, limit=limit, after=after)
        page.items = [(plan, v) for v in page.items]
        return page

    return deps.runner.read(query)
