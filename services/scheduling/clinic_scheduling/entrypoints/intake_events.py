"""Intake's events, as scheduling consumes them: translate, then apply in the given unit of
work. The consumer records the event in the inbox and commits; a handler never commits."""

from __future__ import annotations

from clinic.intake.v1 import events_pb2 as intake
from clinic_common.consumer import Handler
from clinic_common.envelope import Envelope
from clinic_common.protoconv import EnumMap, from_timestamp
from clinic_common.runner import Change

from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.domain.projections import Clearance, PlanTerms, SafetyFlag, TreatmentPlan
from clinic_scheduling.service_layer import intake_projection as projection
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

TOPIC = "clinic.intake.v1"


# A value newer than this build reads as UNKNOWN_<n>, and is kept rather than refused.
MODALITIES = EnumMap(intake.Modality)
OUTCOMES = EnumMap(intake.CandidacyOutcome)


def _when(stamp, envelope: Envelope):
    """The time the event states, or the time it was announced."""
    return from_timestamp(stamp, "time", required=False) or envelope.time


def patient_registered(msg: intake.PatientRegistered, envelope: Envelope,
                       uow: SchedulingUnitOfWork,
                       change: Change) -> None:
    projection.patient_registered(uow, msg.patient_id, msg.preferred_location_id,
                                  _when(msg.registered_time, envelope))


def patient_updated(msg: intake.PatientUpdated, envelope: Envelope,
                    uow: SchedulingUnitOfWork,
                       change: Change) -> None:
    if not msg.changed_fields or "preferred_location_id" in msg.changed_fields:
        projection.preferred_location_changed(uow, msg.patient_id, msg.preferred_location_id)


def merge_handler(policy: SchedulingPolicy) -> Handler:
    """PatientMerged, offering the slots the merge releases under the service's waitlist
    policy (how long an offer holds its slot)."""
    def patient_merged(msg: intake.PatientMerged, envelope: Envelope,
                       uow: SchedulingUnitOfWork, change: Change) -> None:
        projection.patient_merged(uow, msg.surviving_patient_id, msg.merged_patient_id,
                                  _when(msg.merge_time, envelope), change.now, policy)

    return patient_merged


def candidacy_decided(msg: intake.CandidacyDecided, envelope: Envelope,
                      uow: SchedulingUnitOfWork,
                       change: Change) -> None:
    projection.candidacy_decided(uow, Clearance(
        decision_id=msg.decision_id, patient_id=msg.patient_id,
        modality=MODALITIES.lenient(msg.modality),
        outcome=OUTCOMES.lenient(msg.outcome),
        decided_by=msg.decided_by, decided_at=_when(msg.decide_time, envelope),
        escort_required=msg.escort_required, fasting_instruction=msg.fasting_instruction))


def plan_created(msg: intake.TreatmentPlanCreated, envelope: Envelope,
                 uow: SchedulingUnitOfWork,
                       change: Change) -> None:
    projection.plan_created(uow, TreatmentPlan(
        plan_id=msg.plan_id, patient_id=msg.patient_id,
        modality=MODALITIES.lenient(msg.modality),
        indication_code=msg.indication_code, version=msg.version or 1,
        series_sessions=msg.series_sessions, min_spacing_hours=msg.min_spacing_hours,
        series_window_days=msg.series_window_days, dose_mcg=msg.dose_mcg,
        duration_minutes=max(msg.duration_minutes, 0), created_at=envelope.time,
        weight_measured_at=from_timestamp(msg.weight_measure_time, "weight_measure_time",
                                          required=False)))


def plan_amended(msg: intake.TreatmentPlanAmended, envelope: Envelope,
                 uow: SchedulingUnitOfWork,
                       change: Change) -> None:
    projection.plan_amended(uow, msg.plan_id, PlanTerms(
        version=msg.version, series_sessions=msg.series_sessions,
        min_spacing_hours=msg.min_spacing_hours, series_window_days=msg.series_window_days,
        dose_mcg=msg.dose_mcg, duration_minutes=max(msg.duration_minutes, 0),
        weight_measured_at=from_timestamp(msg.weight_measure_time, "weight_measure_time",
                                          required=False)))


def plan_ended(msg: intake.TreatmentPlanEnded, envelope: Envelope,
               uow: SchedulingUnitOfWork,
                       change: Change) -> None:
    projection.plan_ended(uow, msg.plan_id, msg.reason, _when(msg.end_time, envelope))


def plan_suspended(msg: intake.TreatmentPlanSuspended, envelope: Envelope,
                   uow: SchedulingUnitOfWork, change: Change) -> None:
    projection.plan_suspended(uow, msg.plan_id, msg.reason, _when(msg.suspend_time, envelope))


def safety_flag_raised(msg: intake.SafetyFlagRaised, envelope: Envelope,
                       uow: SchedulingUnitOfWork, change: Change) -> None:
    projection.safety_flag_raised(uow, SafetyFlag(
        flag_id=msg.flag_id, patient_id=msg.patient_id, kind=msg.kind,
        raised_at=_when(msg.raise_time, envelope)))


def safety_flag_acknowledged(msg: intake.SafetyFlagAcknowledged, envelope: Envelope,
                             uow: SchedulingUnitOfWork, change: Change) -> None:
    projection.safety_flag_acknowledged(uow, msg.flag_id, msg.patient_id,
                                        _when(msg.acknowledge_time, envelope))


HANDLERS: dict[str, Handler] = {
    intake.PatientRegistered.DESCRIPTOR.full_name: patient_registered,
    intake.PatientUpdated.DESCRIPTOR.full_name: patient_updated,
    intake.PatientMerged.DESCRIPTOR.full_name: merge_handler(SchedulingPolicy()),
    intake.CandidacyDecided.DESCRIPTOR.full_name: candidacy_decided,
    intake.TreatmentPlanCreated.DESCRIPTOR.full_name: plan_created,
    intake.TreatmentPlanAmended.DESCRIPTOR.full_name: plan_amended,
    intake.TreatmentPlanEnded.DESCRIPTOR.full_name: plan_ended,
    intake.TreatmentPlanSuspended.DESCRIPTOR.full_name: plan_suspended,
    intake.SafetyFlagRaised.DESCRIPTOR.full_name: safety_flag_raised,
    intake.SafetyFlagAcknowledged.DESCRIPTOR.full_name: safety_flag_acknowledged,
}


def handlers(policy: SchedulingPolicy) -> dict[str, Handler]:
    """The handlers, with the service's configured policy where one needs it."""
    return {**HANDLERS, intake.PatientMerged.DESCRIPTOR.full_name: merge_handler(policy)}
