"""The events billing announces, built from its domain objects."""

from __future__ import annotations

import datetime as dt

from clinic.billing.v1 import charge_pb2, events_pb2
from clinic.common.v1 import types_pb2
from clinic_common.protoconv import fill_date, timestamp

from clinic_billing.domain.authorization import AuthorizationProblem
from clinic_billing.domain.booking import Booking
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import Balance, ChargeSource, Responsibility

SOURCES = {
    ChargeSource.VISIT: charge_pb2.CHARGE_SOURCE_VISIT,
    ChargeSource.NO_SHOW_FEE: charge_pb2.CHARGE_SOURCE_NO_SHOW_FEE,
    ChargeSource.LATE_CANCEL_FEE: charge_pb2.CHARGE_SOURCE_LATE_CANCEL_FEE,
    ChargeSource.MANUAL: charge_pb2.CHARGE_SOURCE_MANUAL,
}
RESPONSIBILITIES = {
    Responsibility.PATIENT: charge_pb2.RESPONSIBILITY_PATIENT,
    Responsibility.INSURANCE: charge_pb2.RESPONSIBILITY_INSURANCE,
}


def date(value: dt.date) -> types_pb2.Date:
    message = types_pb2.Date()
    fill_date(message, value)
    return message


def charge_posted(charge: Charge) -> events_pb2.ChargePosted:
    return events_pb2.ChargePosted(
        charge_id=charge.charge_id, patient_id=charge.patient_id,
        appointment_id=charge.appointment_id or "", procedure_code=charge.procedure_code,
        units=charge.units, amount_cents=charge.amount_cents,
        post_time=timestamp(charge.posted_at), source=SOURCES[charge.source],
        responsibility=RESPONSIBILITIES[charge.responsibility], payer_id=charge.payer_id,
        service_date=date(charge.service_date), location_id=charge.location_id)


def charge_voided(charge: Charge) -> events_pb2.ChargeVoided:
    return events_pb2.ChargeVoided(
        charge_id=charge.charge_id, patient_id=charge.patient_id,
        appointment_id=charge.appointment_id or "", amount_cents=charge.amount_cents,
        responsibility=RESPONSIBILITIES[charge.responsibility],
        void_time=timestamp(charge.voided_at))


AUTHORIZATION_PROBLEMS = {
    AuthorizationProblem.MISSING: charge_pb2.AUTHORIZATION_PROBLEM_MISSING,
    AuthorizationProblem.EXHAUSTED: charge_pb2.AUTHORIZATION_PROBLEM_EXHAUSTED,
    AuthorizationProblem.OUT_OF_RANGE: charge_pb2.AUTHORIZATION_PROBLEM_OUT_OF_RANGE,
}


def authorization_problem(value: str) -> int:
    return AUTHORIZATION_PROBLEMS[AuthorizationProblem(value)] if value else \
        charge_pb2.AUTHORIZATION_PROBLEM_UNSPECIFIED


def charge_beyond_authorization(charge: Charge) -> events_pb2.ChargeBeyondAuthorization:
    return events_pb2.ChargeBeyondAuthorization(
        charge_id=charge.charge_id, patient_id=charge.patient_id, payer_id=charge.payer_id,
        procedure_code=charge.procedure_code, units=charge.units,
        service_date=date(charge.service_date),
        problem=authorization_problem(charge.authorization_problem),
        prior_authorization_id=charge.prior_authorization_id)


def booking_beyond_authorization(booking: Booking, procedure_code: str,
                                 units: int) -> events_pb2.BookingBeyondAuthorization:
    return events_pb2.BookingBeyondAuthorization(
        appointment_id=booking.appointment_id, patient_id=booking.patient_id,
        payer_id=booking.payer_id, appointment_type=booking.appointment_type,
        service_date=date(booking.service_date), procedure_code=procedure_code, units=units,
        problem=authorization_problem(booking.authorization_problem),
        prior_authorization_id=booking.prior_authorization_id,
        location_id=booking.location_id)


def balance_changed(patient_id: str, balance: Balance,
                    now: dt.datetime) -> events_pb2.AccountBalanceChanged:
    return events_pb2.AccountBalanceChanged(
        patient_id=patient_id, patient_balance_cents=balance.patient_cents,
        insurance_balance_cents=balance.insurance_cents, change_time=timestamp(now))
