"""The visit day's record of an appointment, as the API shows it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from clinic.scheduling.v1 import appointment_pb2
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import EnumMap, timestamp

from clinic_scheduling.domain.appointment import Appointment
from clinic_scheduling.domain.visit import Phase

PHASES = EnumMap(appointment_pb2.VisitPhase)
MAX_DOSE_MG = Decimal(10_000)


def fill_visit(message: appointment_pb2.Appointment, appointment: Appointment) -> None:
    """Set the phase and the visit record once the patient was checked in."""
    if appointment.checked_in_at is None:
        return
    phase = appointment.phase
    message.visit_phase = PHASES.to_proto(phase) if phase != Phase.NONE else 0
    message.visit.CopyFrom(appointment_pb2.Visit(
        check_in_time=timestamp(appointment.checked_in_at),
        escort_confirmed=appointment.escort_confirmed,
        fasting_confirmed=appointment.fasting_confirmed,
        start_time=timestamp(appointment.started_at), drug=appointment.drug,
        dose_given_mcg=appointment.dose_given_mcg, lot_number=appointment.lot_number,
        rendering_staff_id=appointment.started_by, end_time=timestamp(appointment.ended_at),
        discharge_time=timestamp(appointment.discharged_at),
        escort_recorded=bool(appointment.escort_name),
        vitals=[appointment_pb2.VitalSigns(
            taken_time=timestamp(v.taken_at), systolic_mmhg=v.systolic_mmhg,
            diastolic_mmhg=v.diastolic_mmhg, pulse_bpm=v.pulse_bpm,
            spo2_percent=v.spo2_percent, recorded_by=v.recorded_by)
            for v in sorted(appointment.vitals, key=lambda v: v.taken_at)]))


def dose_mcg(text: str, field_name: str = "dose_given_mg") -> int:
    """A dose in milligrams as a decimal string ("35.5"), in whole micrograms; "" is 0."""
    if not text.strip():
        return 0
    try:
        mg = Decimal(text.strip())
    except InvalidOperation:
        raise FieldViolation(field_name, "is not a decimal number of milligrams") from None
    if not mg.is_finite() or mg <= 0 or mg > MAX_DOSE_MG:
        raise FieldViolation(field_name, f"must be above 0 and at most {MAX_DOSE_MG} mg")
    mcg = mg * 1000
    if mcg != mcg.to_integral_value():
        raise FieldViolation(field_name, "has more than three decimals (whole micrograms)")
    return int(mcg)


def wasted_mcg(text: str) -> int | None:
    """The drug discarded, in milligrams as a decimal string, in whole micrograms; "" is
    not reported (None), "0" is nothing discarded."""
    if not text.strip():
        return None
    try:
        mg = Decimal(text.strip())
    except InvalidOperation:
        raise FieldViolation("drug_wasted_mg", "is not a decimal number of milligrams",
                             reason="DRUG_WASTED_INVALID") from None
    if not mg.is_finite() or mg < 0 or mg > MAX_DOSE_MG:
        raise FieldViolation("drug_wasted_mg", f"must be between 0 and {MAX_DOSE_MG} mg",
                             reason="DRUG_WASTED_INVALID")
    mcg = mg * 1000
    if mcg != mcg.to_integral_value():
        raise FieldViolation("drug_wasted_mg", "has more than three decimals (whole micrograms)",
                             reason="DRUG_WASTED_INVALID")
    return int(mcg)
