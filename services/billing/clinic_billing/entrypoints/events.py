"""Events billing consumes, translated to its use cases. No rules here.

A handler runs inside the event processor's unit of work; a ClinicError it
raises sends the event to the dead letters (a malformed or unpriceable event
cannot succeed by retrying).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import events_pb2 as scheduling
from clinic_common.consumer import Handler
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import from_timestamp, to_date

from clinic_billing.domain.booking import BookingState
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import ChargeSource, LineItem
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.service_layer import accounts, bookings, charges, plans


def _service_date(event: scheduling.AppointmentCompleted, policy: BillingPolicy) -> dt.date:
    if event.service_date:
        try:
            return dt.date.fromisoformat(event.service_date)
        except ValueError:
            raise FieldViolation("service_date", f"is not YYYY-MM-DD: {event.service_date!r}") from None
    return policy.local_date(from_timestamp(event.complete_time, "service_date"))


def _visit(event: scheduling.AppointmentCompleted, policy: BillingPolicy) -> charges.CompletedVisit:
    return charges.CompletedVisit(
        appointment_id=event.appointment_id, patient_id=event.patient_id,
        service_date=_service_date(event, policy), location_id=event.location_id,
        rendering_provider_id=event.rendering_provider_id,
        appointment_type=event.appointment_type,
        lines=[LineItem(line.procedure_code, line.units, tuple(line.modifiers),
                        tuple(line.diagnosis_codes)) for line in event.service_lines],
        # What the visit recorded, where scheduling says it; billing's fallbacks otherwise.
        minutes=event.infusion_minutes if event.HasField("infusion_minutes") else None,
        dose_mg=(event.dose_given_mcg + 500) // 1000
        if event.HasField("dose_given_mcg") and event.dose_given_mcg > 0 else None,
        first_tms_session=event.first_tms_session
        if event.HasField("first_tms_session") else None,
        # What the clinician reported at completion; an older event has none of them.
        visit_level=event.em_level if event.HasField("em_level") else None,
        provider_type=event.provider_credential,
        motor_threshold_redetermination=event.HasField("motor_threshold_redetermined")
        and event.motor_threshold_redetermined,
        wasted_mg=(event.drug_wasted_mcg + 500) // 1000
        if event.HasField("drug_wasted_mcg") and event.drug_wasted_mcg >= 0 else None)


def _missed(event, source: ChargeSource, policy: BillingPolicy) -> charges.MissedAppointment:
    start = from_timestamp(event.start_time, "start_time")
    return charges.MissedAppointment(
        appointment_id=event.appointment_id, patient_id=event.patient_id, source=source,
        service_date=policy.local_date(start), location_id=event.location_id)


def _appointment(event, policy: BillingPolicy, start: dt.datetime | None = None,
                 revision: int = 0, *, now: dt.datetime | None = None
                 ) -> bookings.AppointmentFacts:
    """The appointment an event names. An end (cancel, no-show) without its start is kept
    dated ``now``: it only has to outrank a booking arriving later."""
    if start is None:
        start = now if now is not None and not event.HasField("start_time") else \
            from_timestamp(event.start_time, "start_time")
    return bookings.AppointmentFacts(
        appointment_id=event.appointment_id, patient_id=event.patient_id, start_time=start,
        service_date=policy.local_date(start), location_id=event.location_id,
        appointment_type=event.appointment_type, series_id=getattr(event, "series_id", ""),
        revision=revision)


def _completed_appointment(event: scheduling.AppointmentCompleted,
                           policy: BillingPolicy) -> bookings.AppointmentFacts:
    if event.HasField("actual_start_time"):
        start = from_timestamp(event.actual_start_time, "actual_start_time")
    elif event.HasField("complete_time"):
        start = from_timestamp(event.complete_time, "complete_time")
    else:
        # An older producer's event names only its date of service: the booking it ends is
        # found by appointment id, and its day is all the check needs (noon UTC keeps the
        # date in every zone the clinics use).
        start = dt.datetime.combine(_service_date(event, policy), dt.time(12), tzinfo=dt.UTC)
    facts = _appointment(event, policy, start)
    return dataclasses.replace(facts, service_date=_service_date(event, policy))


def _coverage(event: intake.CoverageAdded) -> Coverage:
    return Coverage(
        coverage_id=event.coverage_id, patient_id=event.patient_id, payer_id=event.payer_id,
        member_id=event.member_id, group_number=event.group_number,
        priority=event.priority or 1,
        effective_date=to_date(event.effective_date, "effective_date", required=False),
        end_date=to_date(event.end_date, "end_date", required=False),
        plan_type=event.plan_type, subscriber_relationship=event.subscriber_relationship)


def _modality(value: int) -> str:
    """Intake's modality as billing keeps it: IV_KETAMINE, SPRAVATO or TMS; '' when unset."""
    if value == intake.MODALITY_UNSPECIFIED or value not in intake.Modality.values():
        return ""
    return intake.Modality.Name(value).removeprefix("MODALITY_")


def build_handlers(policy: BillingPolicy) -> dict[str, Handler]:
    """The handler of each event type billing acts on, by full message name."""

    rules = policy.coding

    def completed(event, _envelope, uow, change):
        charges.post_visit(uow, _visit(event, policy), policy, change.now)
        bookings.ended(uow, _completed_appointment(event, policy), BookingState.COMPLETED,
                       rules, change.now)

    def no_show(event, _envelope, uow, change):
        charges.post_policy_fee(uow, _missed(event, ChargeSource.NO_SHOW_FEE, policy), policy,
                                change.now)
        bookings.ended(uow, _appointment(event, policy, now=change.now), BookingState.NO_SHOW,
                       rules, change.now)

    def cancelled(event, _envelope, uow, change):
        if event.late:
            charges.post_policy_fee(uow, _missed(event, ChargeSource.LATE_CANCEL_FEE, policy),
                                    policy, change.now)
        bookings.ended(uow, _appointment(event, policy, now=change.now),
                       BookingState.CANCELLED, rules, change.now)

    def booked(event, _envelope, uow, change):
        bookings.booked(uow, _appointment(event, policy), rules, change.now)

    def rescheduled(event, _envelope, uow, change):
        bookings.rescheduled(uow, _appointment(event, policy, revision=event.revision), rules,
                             change.now)

    def registered(event, _envelope, uow, change):
        accounts.register_patient(uow, event.patient_id, event.preferred_location_id, change.now)

    def merged(event, envelope, uow, change):
        accounts.merge_patients(uow, event.merged_patient_id, event.surviving_patient_id,
                                change.now, merge_id=envelope.id if envelope else "")
        bookings.recheck(uow, accounts.account_for_posting(uow, event.surviving_patient_id,
                                                           change.now).patient_id,
                         rules, change.now)

    def coverage_added(event, _envelope, uow, change):
        coverage = _coverage(event)
        accounts.add_coverage(uow, coverage, change.now)
        bookings.recheck(uow, coverage.patient_id, rules, change.now)

    def coverage_ended(event, _envelope, uow, change):
        accounts.end_coverage(uow, event.patient_id, event.coverage_id,
                              to_date(event.end_date, "end_date"), change.now)
        bookings.recheck(uow, accounts.account_for_posting(uow, event.patient_id,
                                                           change.now).patient_id,
                         rules, change.now)

    def plan_created(event, _envelope, uow, change):
        plans.record_plan(uow, event.patient_id, event.plan_id, modality=_modality(event.modality),
                          version=event.version, indication_code=event.indication_code,
                          dose_mcg=event.dose_mcg, duration_minutes=event.duration_minutes,
                          now=change.now)

    def plan_amended(event, _envelope, uow, change):
        plans.record_plan(uow, event.patient_id, event.plan_id, modality="",
                          version=event.version, indication_code=event.indication_code,
                          dose_mcg=event.dose_mcg, duration_minutes=event.duration_minutes,
                          now=change.now)

    def plan_ended(event, _envelope, uow, change):
        plans.end_plan(uow, event.patient_id, event.plan_id, change.now)

    handlers = {
        scheduling.AppointmentCompleted: completed, scheduling.AppointmentNoShow: no_show,
        scheduling.AppointmentCancelled: cancelled, scheduling.AppointmentBooked: booked,
        scheduling.AppointmentRescheduled: rescheduled, intake.PatientRegistered: registered,
        intake.PatientMerged: merged, intake.CoverageAdded: coverage_added,
        intake.CoverageEnded: coverage_ended, intake.TreatmentPlanCreated: plan_created,
        intake.TreatmentPlanAmended: plan_amended, intake.TreatmentPlanEnded: plan_ended,
    }
    return {cls.DESCRIPTOR.full_name: handler for cls, handler in handlers.items()}
