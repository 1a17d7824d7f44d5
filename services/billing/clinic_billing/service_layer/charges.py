"""Posting charges from scheduling's events: completed visits and policy fees.

Every charge goes on the ledger in the same transaction, and is announced with
the account's new balance through the outbox. A visit's lines and an
appointment's policy fee are posted once: a replay finds them and does nothing,
and the unique (appointment_id, line_number) key backs that up in the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from clinic_billing.domain import coding, errors, pricing
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.coverage import Coverage, primary_on
from clinic_billing.domain.model import ChargeSource, LineItem
from clinic_billing.domain.plan import PlanFacts, current, treated_indication
from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.service_layer import authorizations, messages
from clinic_billing.service_layer.accounts import account_for_posting, announce_balance
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

log = logging.getLogger(__name__)

POLICY_FEES = {ChargeSource.NO_SHOW_FEE: pricing.NO_SHOW_FEE,
               ChargeSource.LATE_CANCEL_FEE: pricing.LATE_CANCEL_FEE}


@dataclass(frozen=True)
class CompletedVisit:
    """A completed visit as scheduling reports it; None where it does not say."""

    appointment_id: str
    patient_id: str
    service_date: dt.date
    lines: list[LineItem]
    location_id: str = ""
    rendering_provider_id: str = ""
    appointment_type: str = ""
    minutes: int | None = None
    dose_mg: int | None = None
    first_tms_session: bool | None = None
    visit_level: int | None = None  # the established-patient E/M level (2-5)
    provider_type: str = ""  # the rendering provider's credential, such as "MD"
    motor_threshold_redetermination: bool = False
    wasted_mg: int | None = None  # the drug discarded from the opened containers


@dataclass(frozen=True)
class MissedAppointment:
    appointment_id: str
    patient_id: str
    source: ChargeSource  # NO_SHOW_FEE or LATE_CANCEL_FEE
    service_date: dt.date
    location_id: str = ""


def fee_entry(uow: BillingUnitOfWork, code: str, policy: BillingPolicy,
              on: dt.date | None = None) -> pricing.FeeScheduleEntry:
    """The entry pricing ``code`` (for a date of service ``on``, when given): a policy
    fee at the settings' amount, then at the price versions (list, self-pay) in force on
    ``on`` if any."""
    entry = uow.fee_schedule.get(code)
    if entry is None or (on is not None and not entry.in_force(on)):
        raise errors.ProcedureNotInFeeSchedule(code, on)
    entry = policy.fees.apply(entry)
    if on is None:
        return entry
    return pricing.priced(entry,
                          uow.prices.in_force([code], on, pricing.PriceKind.LIST).get(code),
                          uow.prices.in_force([code], on).get(code))


def post_visit(uow: BillingUnitOfWork, visit: CompletedVisit, policy: BillingPolicy,
               now: dt.datetime) -> list[Charge]:
    """One charge per service line; nothing when the visit was charged already."""
    if not visit.appointment_id:
        raise errors.field("appointment_id", "is required")
    if uow.charges.for_appointment(visit.appointment_id, {ChargeSource.VISIT}):
        log.info("visit already charged", extra={"appointment_id": visit.appointment_id})
        return []
    account = account_for_posting(uow, visit.patient_id, now)
    coverage = primary_on(uow.coverages.for_patient(account.patient_id), visit.service_date)
    checked = [line.checked(f"service_lines[{n}]") for n, line in enumerate(visit.lines)]
    lines = coding.code_visit(visit_facts(uow, visit, account.patient_id, checked, coverage,
                                     policy.coding), policy.coding)
    posted = []
    for number, item in enumerate(lines, start=1):
        entry = fee_entry(uow, item.procedure_code, policy, visit.service_date)
        # A drug line without its dose posts at no charge, visible for staff to correct.
        item = dataclasses.replace(item, units=pricing.billable_units(entry, item.units))
        if item.units == 0:
            log.warning("drug line without a dose posted at no charge", extra={
                "appointment_id": visit.appointment_id, "line_number": number,
                "procedure_code": item.procedure_code})
        posted.append(record(uow, Charge.post(
            patient_id=account.patient_id, item=item,
            price=pricing.price(entry, item.units, coverage, service_date=visit.service_date,
                                modifiers=item.modifiers), source=ChargeSource.VISIT,
            service_date=visit.service_date, appointment_id=visit.appointment_id,
            line_number=number, location_id=visit.location_id,
            rendering_provider_id=visit.rendering_provider_id, now=now)))
    if posted:
        announce_balance(uow, account.patient_id, now)
    return posted


def visit_facts(uow: BillingUnitOfWork, visit: CompletedVisit, patient_id: str,
                lines: list[LineItem], coverage: Coverage | None, rules: coding.CodingRules,
                plans: list[PlanFacts] | None = None) -> coding.Visit:
    """What the coding rules need, with billing's fallbacks where the visit says nothing:
    a TMS session is the first when the account has no standing TMS charge yet; the
    diagnoses are those of the first reported line that has any, else the plan's indication
    (for a visit type without a modality, such as a follow-up, the indication of the plan
    in force the patient is treated under); the plan of the visit's modality gives the
    infusion length and dose. ``plans`` are the patient's, when the caller has them."""
    first_tms = visit.first_tms_session
    if first_tms is None and visit.appointment_type in rules.tms_types:
        tms_codes = {rules.tms_initial, rules.tms_subsequent, rules.tms_motor_threshold}
        first_tms = not uow.charges.has_posted(patient_id, tms_codes)
    modality = rules.modality_of(visit.appointment_type)
    if plans is None:
        plans = uow.plans.for_patient(patient_id)
    plan = current(plans, modality) if modality else None
    diagnoses = next((line.diagnosis_codes for line in lines if line.diagnosis_codes), ())
    if not diagnoses and plan is not None and plan.indication_code:
        diagnoses = (plan.indication_code,)
    if not diagnoses and not modality and treated_indication(plans):
        diagnoses = (treated_indication(plans),)
    return coding.Visit(
        appointment_type=visit.appointment_type, service_date=visit.service_date,
        reported=tuple(lines), payer_kind=_payer_kind(uow, coverage),
        minutes=visit.minutes, dose_mg=visit.dose_mg, first_tms_session=first_tms,
        plan_minutes=plan.duration_minutes or None if plan else None,
        plan_dose_mg=plan.dose_mg if plan else None,
        wasted_mg=visit.wasted_mg,
        motor_threshold_redetermination=visit.motor_threshold_redetermination,
        provider_type=visit.provider_type, visit_level=visit.visit_level,
        diagnosis_codes=diagnoses)


def _payer_kind(uow: BillingUnitOfWork, coverage: Coverage | None) -> coding.PayerKind:
    """The kind of the payer billed: as the billing team keeps the payer, else as the
    coverage's plan type says; a visit without coverage is coded as commercial."""
    if coverage is None:
        return coding.PayerKind.COMMERCIAL
    payer = uow.payers.get(coverage.payer_id)
    return payer.kind if payer is not None else coding.payer_kind_of(coverage.plan_type)


def post_policy_fee(uow: BillingUnitOfWork, missed: MissedAppointment, policy: BillingPolicy,
                    now: dt.datetime) -> Charge | None:
    """The no-show or late-cancel fee, once per appointment; none when the fee is set to 0."""
    if not missed.appointment_id:
        raise errors.field("appointment_id", "is required")
    if uow.charges.for_appointment(missed.appointment_id, set(POLICY_FEES)):
        log.info("policy fee already charged", extra={"appointment_id": missed.appointment_id})
        return None
    entry = fee_entry(uow, POLICY_FEES[missed.source], policy, missed.service_date)
    if entry.self_pay_price_cents == 0:
        return None
    account = account_for_posting(uow, missed.patient_id, now)
    charge = record(uow, Charge.post(
        patient_id=account.patient_id, item=LineItem(entry.procedure_code),
        price=pricing.price(entry, 1, None), source=missed.source,
        service_date=missed.service_date, appointment_id=missed.appointment_id,
        line_number=0, location_id=missed.location_id, now=now))
    announce_balance(uow, account.patient_id, now)
    return charge


def record(uow: BillingUnitOfWork, charge: Charge) -> Charge:
    """Puts a charge on the account's ledger and announces it; it burns its prior
    authorization's units (or is flagged beyond it) in the same transaction."""
    use = authorizations.burn(uow, charge, charge.posted_at)  # reads before the charge is added
    uow.charges.add(charge)
    if use is not None:
        uow.flush()  # the use names the charge: the charge's row goes first
        uow.authorizations.add_use(use)
    uow.ledger.add(charge.ledger_entry())
    uow.emit(messages.charge_posted(charge), key=charge.patient_id)
    return charge

