"""The events scheduling announces, built from its aggregates. Ids and facts only."""

from __future__ import annotations

import datetime as dt

from clinic.scheduling.v1 import appointment_pb2, events_pb2
from clinic_common.protoconv import timestamp

from clinic_scheduling.domain.appointment import Appointment
from clinic_scheduling.domain.appointment_type import ServiceLineValue

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
        end_time=timestamp(appointment.end_time))


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


def completed(appointment: Appointment, lines: list[ServiceLineValue],
              diagnosis_codes: list[str], at: dt.datetime) -> events_pb2.AppointmentCompleted:
    return events_pb2.AppointmentCompleted(
        **_ids(appointment), service_date=appointment.service_date.isoformat(),
        rendering_provider_id=appointment.rendering_provider_id,
        service_lines=[events_pb2.ServiceLine(procedure_code=line.procedure_code,
                                              units=line.units, diagnosis_codes=diagnosis_codes)
                       for line in lines],
        complete_time=timestamp(at))
