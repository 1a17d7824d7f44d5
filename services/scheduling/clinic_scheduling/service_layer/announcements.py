"""The events scheduling announces, built from its aggregates. Ids and facts only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from clinic.scheduling.v1 import appointment_pb2, events_pb2
from clinic_common.protoconv import timestamp

from clinic_scheduling.domain.appointment import Appointment
from clinic_scheduling.domain.appointment_type import ServiceLineValue
from clinic_scheduling.domain.hold import CONSUMED, EXPIRED, RELEASED, SlotHold
from clinic_scheduling.domain.visit import VitalSigns

INITIATORS = {"PATIENT": appointment_pb2.CANCELLATION_INITIATOR_PATIENT,
              "CLINIC": appointment_pb2.CANCELLATION_INITIATOR_CLINIC}


def _ids(appointment: Appointment) -> dict:
    return {"appointment_id": appointment.appointment_id,
            "location_id": appointment.location_id,
            "patient_id": appointment.patient_id,
            "appointment_type": appointment.appointment_type}


def booked(appointment: Appointment) -> events_pb2.AppointmentBooked:
    return events_pb2.AppointmentBooked(
        **_ids(appointment), start_time=timestamp(appointment.start_time),
        end_time=timestamp(appointment.end_time), series_id=appointment.series_id)


def cancelled(appointment: Appointment, at: dt.datetime) -> events_pb2.AppointmentCancelled:
    return events_pb2.AppointmentCancelled(
        **_ids(appointment), late=appointment.late_cancellation,
        reason=appointment.cancel_reason, cancel_time=timestamp(at),
        start_time=timestamp(appointment.start_time),
        initiated_by=INITIATORS.get(appointment.cancelled_by, 0))


def rescheduled(appointment: Appointment,
                previous_start: dt.datetime) -> events_pb2.AppointmentRescheduled:
    return events_pb2.AppointmentRescheduled(
        **_ids(appointment), previous_start_time=timestamp(previous_start),
        start_time=timestamp(appointment.start_time), end_time=timestamp(appointment.end_time),
        revision=appointment.revision)


def no_show(appointment: Appointment) -> events_pb2.AppointmentNoShow:
    return events_pb2.AppointmentNoShow(**_ids(appointment),
                                        start_time=timestamp(appointment.start_time))


def checked_in(appointment: Appointment) -> events_pb2.AppointmentCheckedIn:
    assert appointment.checked_in_at is not None
    return events_pb2.AppointmentCheckedIn(**_ids(appointment),
                                           check_in_time=timestamp(appointment.checked_in_at))


def visit_started(appointment: Appointment) -> events_pb2.VisitStarted:
    assert appointment.started_at is not None
    return events_pb2.VisitStarted(
        **_ids(appointment), start_time=timestamp(appointment.started_at),
        drug=appointment.drug, dose_given_mcg=appointment.dose_given_mcg,
        rendering_staff_id=appointment.started_by)


def vitals_alert(appointment: Appointment, vitals: VitalSigns,
                 readings: list[str]) -> events_pb2.VitalsAlert:
    ids = _ids(appointment)
    del ids["appointment_type"]
    return events_pb2.VitalsAlert(
        **ids, taken_time=timestamp(vitals.taken_at), readings=readings,
        systolic_mmhg=vitals.systolic_mmhg, diastolic_mmhg=vitals.diastolic_mmhg,
        pulse_bpm=vitals.pulse_bpm, spo2_percent=vitals.spo2_percent)


def completed(appointment: Appointment, lines: list[ServiceLineValue],
              diagnosis_codes: list[str], at: dt.datetime, *,
              first_tms_session: bool | None = None,
              infusion: bool = False) -> events_pb2.AppointmentCompleted:
    event = events_pb2.AppointmentCompleted(
        **_ids(appointment), service_date=appointment.service_date.isoformat(),
        rendering_provider_id=appointment.rendering_provider_id,
        service_lines=[events_pb2.ServiceLine(procedure_code=line.procedure_code,
                                              units=line.units, diagnosis_codes=diagnosis_codes)
                       for line in lines],
        complete_time=timestamp(at), drug=appointment.drug, lot_number=appointment.lot_number,
        rendering_staff_id=appointment.started_by)
    actual_start = appointment.started_at or appointment.checked_in_at
    if actual_start is not None:
        event.actual_start_time.CopyFrom(timestamp(actual_start))
        event.actual_end_time.CopyFrom(timestamp(appointment.ended_at or at))
    if appointment.started_at is not None and appointment.dose_given_mcg:
        event.dose_given_mcg = appointment.dose_given_mcg
    if first_tms_session is not None:
        event.first_tms_session = first_tms_session
    if infusion and appointment.started_at and appointment.ended_at:
        seconds = (appointment.ended_at - appointment.started_at).total_seconds()
        event.infusion_minutes = int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))
    # What the clinician reported for billing; unset where not reported.
    if appointment.em_level:
        event.em_level = appointment.em_level
    event.provider_credential = appointment.provider_credential
    if first_tms_session is not None:
        event.motor_threshold_redetermined = appointment.motor_threshold_redetermined
    if appointment.drug_wasted_mcg is not None:
        event.drug_wasted_mcg = appointment.drug_wasted_mcg
    return event


def series_booked(series_id: str, patient_id: str, appointment_type: str,
                  sessions: list[Appointment]) -> events_pb2.SeriesBooked:
    ordered = sorted(sessions, key=lambda a: a.start_time)
    return events_pb2.SeriesBooked(
        series_id=series_id, patient_id=patient_id, appointment_type=appointment_type,
        appointment_ids=[a.appointment_id for a in ordered],
        first_start_time=timestamp(ordered[0].start_time),
        last_start_time=timestamp(ordered[-1].start_time))


RELEASE_CAUSES = {RELEASED: events_pb2.HOLD_RELEASE_CAUSE_RELEASED,
                  CONSUMED: events_pb2.HOLD_RELEASE_CAUSE_CONSUMED,
                  EXPIRED: events_pb2.HOLD_RELEASE_CAUSE_EXPIRED}


def _hold_ids(hold: SlotHold) -> dict:
    return {"hold_id": hold.hold_id, "location_id": hold.location_id,
            "patient_id": hold.patient_id, "appointment_type": hold.appointment_type,
            "start_time": timestamp(hold.start_time), "end_time": timestamp(hold.end_time)}


def hold_placed(hold: SlotHold) -> events_pb2.HoldPlaced:
    return events_pb2.HoldPlaced(**_hold_ids(hold), resource_ids=list(hold.resource_ids),
                                 expire_time=timestamp(hold.expires_at),
                                 staff=[appointment_pb2.AppointmentStaff(
                                     staff_member_id=i, role=need) for i, need, _ in hold.staff])


def hold_released(hold: SlotHold, status: str, at: dt.datetime,
                  appointment_id: str = "") -> events_pb2.HoldReleased:
    """``status`` is what the hold became: RELEASED, CONSUMED or EXPIRED."""
    return events_pb2.HoldReleased(**_hold_ids(hold), cause=RELEASE_CAUSES[status],
                                   appointment_id=appointment_id, release_time=timestamp(at),
                                   expire_time=timestamp(hold.expires_at))


def _local(at: dt.datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).isoformat()


def waitlist_offer_made(offer, entry, resource_ids, zone: str) -> events_pb2.WaitlistOfferMade:
    return events_pb2.WaitlistOfferMade(
        offer_id=offer.offer_id, entry_id=entry.entry_id, patient_id=entry.patient_id,
        appointment_type=entry.appointment_type, location_id=offer.location_id,
        start_time=timestamp(offer.start_time), end_time=timestamp(offer.end_time),
        local_start_time=_local(offer.start_time, zone),
        local_end_time=_local(offer.end_time, zone), time_zone=zone,
        resource_ids=list(resource_ids), hold_id=offer.hold_id,
        expire_time=timestamp(offer.expires_at))


def waitlist_offer_expired(offer, entry) -> events_pb2.WaitlistOfferExpired:
    return events_pb2.WaitlistOfferExpired(
        offer_id=offer.offer_id, entry_id=entry.entry_id, patient_id=entry.patient_id,
        appointment_type=entry.appointment_type, location_id=offer.location_id,
        start_time=timestamp(offer.start_time), hold_id=offer.hold_id,
        expire_time=timestamp(offer.expires_at))


def waitlist_entry_expired(entry, at: dt.datetime,
                           cause: str) -> events_pb2.WaitlistEntryExpired:
    """``cause``: WINDOW_PASSED or CURRENT_APPOINTMENT_CLOSED."""
    return events_pb2.WaitlistEntryExpired(
        entry_id=entry.entry_id, patient_id=entry.patient_id,
        appointment_type=entry.appointment_type, location_ids=list(entry.location_ids),
        latest_start_time=timestamp(entry.latest_start), expire_time=timestamp(at),
        cause=events_pb2.WaitlistEntryExpiryCause.Value(
            f"WAITLIST_ENTRY_EXPIRY_CAUSE_{cause}"))
