"""Domain objects as billing's messages, and resource names back to ids."""

from __future__ import annotations

from clinic.billing.v1 import (
    account_pb2,
    charge_pb2,
    claim_pb2,
    fee_schedule_pb2,
    payer_pb2,
    prior_authorization_pb2,
)
from clinic_common.errors import FieldViolation
from clinic_common.names import Name
from clinic_common.protoconv import fill_date, timestamp, to_date

from clinic_billing.domain.authorization import AuthorizationState, PriorAuthorization
from clinic_billing.domain.booking import Booking
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, ClaimBatch, ClaimState, ClaimTransition, Subscriber
from clinic_billing.domain.coding import PayerKind
from clinic_billing.domain.contract import ContractedRate
from clinic_billing.domain.coverage import Coverage
from clinic_billing.domain.model import AccountState, ChargeState, Responsibility
from clinic_billing.domain.payer import Payer
from clinic_billing.domain.pricing import BillingUnit, FeeKind, FeeScheduleEntry
from clinic_billing.service_layer.messages import RESPONSIBILITIES, SOURCES, authorization_problem
from clinic_billing.service_layer.queries import AccountView

ACCOUNT = Name("accounts/{account}")
ACCOUNTS = Name("accounts/{account}", wildcard=True)  # a list's parent: "-" is every account
CHARGE = Name("accounts/{account}/charges/{charge}")
CLAIM = Name("accounts/{account}/claims/{claim}")
CLAIM_TRANSITION = Name("accounts/{account}/claims/{claim}/transitions/{transition}")
PAYER = Name("payers/{payer}")
RATE = Name("payers/{payer}/contractedRates/{rate}")
BATCH = Name("claimBatches/{batch}")
REMITTANCE = Name("remittances/{remittance}")
PAYMENT = Name("accounts/{account}/payments/{payment}")
WRITE_OFF = Name("accounts/{account}/writeOffs/{write_off}")
SUSPENSE_ITEM = Name("suspenseItems/{item}")
DENIAL = Name("denials/{denial}")
FEE_SCHEDULE_ENTRY = Name("feeScheduleEntries/{procedure_code}")
PRIOR_AUTHORIZATION = Name("accounts/{account}/priorAuthorizations/{prior_authorization}")
BOOKING = Name("accounts/{account}/bookings/{booking}")
AUTHORIZATION_STATES = {
    AuthorizationState.ACTIVE: prior_authorization_pb2.PRIOR_AUTHORIZATION_STATE_ACTIVE,
    AuthorizationState.VOID: prior_authorization_pb2.PRIOR_AUTHORIZATION_STATE_VOID}
PRICE_VERSION = Name("feeScheduleEntries/{procedure_code}/priceVersions/{version}")
POLICY_FEE = Name("policyFees/{fee}")
BILLING_PROVIDER = "billingProvider"


def billing_provider_version(version_id: str) -> str:
    """A billing provider version's name (a singleton's child: not a Name pattern)."""
    return f"{BILLING_PROVIDER}/versions/{version_id}"


RENDERING_PROVIDER = Name("renderingProviders/{staff_id}")

ACCOUNT_STATES = {AccountState.ACTIVE: account_pb2.ACCOUNT_STATE_ACTIVE,
                  AccountState.MERGED: account_pb2.ACCOUNT_STATE_MERGED}
CHARGE_STATES = {ChargeState.POSTED: charge_pb2.CHARGE_STATE_POSTED,
                 ChargeState.VOIDED: charge_pb2.CHARGE_STATE_VOIDED}
UNITS = {BillingUnit.SERVICE: fee_schedule_pb2.BILLING_UNIT_SERVICE,
         BillingUnit.MILLIGRAM: fee_schedule_pb2.BILLING_UNIT_MILLIGRAM}
KINDS = {FeeKind.SERVICE: fee_schedule_pb2.FEE_KIND_SERVICE,
         FeeKind.POLICY: fee_schedule_pb2.FEE_KIND_POLICY}
REQUESTED = {v: k for k, v in RESPONSIBILITIES.items()}
PAYER_KINDS = {PayerKind.MEDICARE: payer_pb2.PAYER_KIND_MEDICARE,
               PayerKind.MEDICAID: payer_pb2.PAYER_KIND_MEDICAID,
               PayerKind.COMMERCIAL: payer_pb2.PAYER_KIND_COMMERCIAL}
KIND_OF = {v: k for k, v in PAYER_KINDS.items()}


def mask_paths(paths, allowed: tuple[str, ...]) -> list[str]:
    """An update's field mask: required, and only fields that can change."""
    paths = list(paths)
    if not paths:
        raise FieldViolation("update_mask", "is required: name the fields to change")
    for path in paths:
        if path not in allowed:
            raise FieldViolation("update_mask", f"{path!r} is not a field that can be changed")
    return paths


def payer_kind(value: int, *, required: bool) -> PayerKind | None:
    """The kind a request names; None when unset and not ``required`` (the domain refuses it)."""
    if value == payer_pb2.PAYER_KIND_UNSPECIFIED and not required:
        return None
    if value not in KIND_OF:
        raise FieldViolation("payer.kind", "must be MEDICARE, MEDICAID or COMMERCIAL")
    return KIND_OF[value]


def payer_to_proto(p: Payer) -> payer_pb2.Payer:
    return payer_pb2.Payer(
        name=PAYER.format(p.payer_id), payer_id=p.payer_id, display_name=p.display_name,
        kind=PAYER_KINDS[p.kind], create_time=timestamp(p.created_at),
        update_time=timestamp(p.updated_at), update_staff_id=p.updated_by,
        prior_authorization_codes=p.prior_authorization_codes or [])


def requested_responsibility(value: int) -> Responsibility | None:
    if value == charge_pb2.RESPONSIBILITY_UNSPECIFIED:
        return None
    if value not in REQUESTED:
        raise FieldViolation("charge.responsibility", f"unknown value {value}")
    return REQUESTED[value]


def account_to_proto(view: AccountView) -> account_pb2.Account:
    a = view.account
    return account_pb2.Account(
        name=ACCOUNT.format(a.patient_id), patient_id=a.patient_id, state=ACCOUNT_STATES[a.state],
        merged_into=ACCOUNT.format(a.merged_into) if a.merged_into else "",
        patient_balance_cents=view.balance.patient_cents,
        insurance_balance_cents=view.balance.insurance_cents,
        coverages=[coverage_to_proto(c) for c in view.coverages], registered=a.registered,
        create_time=timestamp(a.created_at), update_time=timestamp(a.updated_at))


def coverage_to_proto(c: Coverage) -> account_pb2.Coverage:
    message = account_pb2.Coverage(
        coverage_id=c.coverage_id, payer_id=c.payer_id, member_id=c.member_id,
        group_number=c.group_number, priority=c.priority, plan_type=c.plan_type)
    fill_date(message.effective_date, c.effective_date)
    fill_date(message.end_date, c.end_date)
    return message


def charge_to_proto(c: Charge, *, diagnoses: bool) -> charge_pb2.Charge:
    """A charge; its diagnosis codes only for callers who code claims (``diagnoses``)."""
    message = charge_pb2.Charge(
        name=CHARGE.format(c.patient_id, c.charge_id), charge_id=c.charge_id, patient_id=c.patient_id,
        appointment_id=c.appointment_id or "", line_number=c.line_number or 0,
        source=SOURCES[c.source], procedure_code=c.procedure_code, units=c.units,
        modifiers=c.modifiers, diagnosis_codes=c.diagnosis_codes if diagnoses else [],
        location_id=c.location_id,
        rendering_provider_id=c.rendering_provider_id,
        responsibility=RESPONSIBILITIES[c.responsibility], payer_id=c.payer_id,
        coverage_id=c.coverage_id, amount_cents=c.amount_cents, allowed_cents=c.allowed_cents,
        state=CHARGE_STATES[c.state], void_reason=c.void_reason,
        post_time=timestamp(c.posted_at),
        void_time=timestamp(c.voided_at) if c.voided_at else None,
        drug=charge_pb2.DrugDetail(name=c.drug_name, ndc=c.ndc, unit_of_measure=c.ndc_unit,
                                   quantity=c.ndc_quantity) if c.ndc else None,
        prior_authorization=PRIOR_AUTHORIZATION.format(c.patient_id, c.prior_authorization_id)
        if c.prior_authorization_id else "",
        authorization_problem=authorization_problem(c.authorization_problem),
        authorization_problem_detail=c.authorization_problem_detail)
    fill_date(message.service_date, c.service_date)
    return message


def fee_entry_to_proto(e: FeeScheduleEntry) -> fee_schedule_pb2.FeeScheduleEntry:
    message = fee_schedule_pb2.FeeScheduleEntry(
        name=FEE_SCHEDULE_ENTRY.format(e.procedure_code), procedure_code=e.procedure_code,
        description=e.description, unit=UNITS[e.unit], kind=KINDS[e.kind],
        list_price_cents=e.list_price_cents, self_pay_price_cents=e.self_pay_price_cents,
        insurance_billable=e.insurance_billable,
        contracted_rates=[rate_to_proto(r) for r in e.contracted_rates])
    fill_date(message.effective_from, e.effective_from)
    fill_date(message.effective_to, e.effective_to)
    return message


def rate_to_proto(r: ContractedRate) -> fee_schedule_pb2.ContractedRate:
    message = fee_schedule_pb2.ContractedRate(
        name=RATE.format(r.payer_id, r.rate_id), payer_id=r.payer_id,
        procedure_code=r.procedure_code, modifier=r.modifier, allowed_cents=r.allowed_cents,
        update_time=timestamp(r.updated_at) if r.updated_at else None,
        update_staff_id=r.updated_by)
    fill_date(message.effective_from, r.effective_from)
    fill_date(message.effective_to, r.effective_to)
    return message


CLAIM_STATES = {state: claim_pb2.ClaimState.Value(f"CLAIM_STATE_{state.value}")
                for state in ClaimState}
CLAIM_STATE_OF = {v: k for k, v in CLAIM_STATES.items()}


def claim_state(value: int) -> ClaimState | None:
    """The state a list filters on; None when unset."""
    if value == claim_pb2.CLAIM_STATE_UNSPECIFIED:
        return None
    if value not in CLAIM_STATE_OF:
        raise FieldViolation("state", f"unknown value {value}")
    return CLAIM_STATE_OF[value]


def claim_to_proto(c: Claim) -> claim_pb2.Claim:
    message = claim_pb2.Claim(
        name=CLAIM.format(c.patient_id, c.claim_id), claim_id=c.claim_id,
        patient_id=c.patient_id, coverage_id=c.coverage_id, payer_id=c.payer_id,
        state=CLAIM_STATES[c.state], charges=[CHARGE.format(c.patient_id, i) for i in c.charge_ids],
        total_charge_cents=c.total_charge_cents, total_allowed_cents=c.total_allowed_cents,
        create_time=timestamp(c.created_at), update_time=timestamp(c.updated_at),
        update_staff_id=c.updated_by, void_reason=c.void_reason,
        batch=BATCH.format(c.batch_id) if c.batch_id else "",
        authorization_issues=[claim_pb2.ClaimAuthorizationIssue(
            charge=CHARGE.format(c.patient_id, issue["charge_id"]),
            problem=authorization_problem(issue["problem"]), detail=issue["detail"])
            for issue in c.authorization_issues or []],
        payer_claim_number=c.payer_claim_number, close_reason=c.close_reason,
        primary_claim=CLAIM.format(c.patient_id, c.primary_claim_id) if c.primary_claim_id
        else "", primary_paid_cents=int(c.cob["paid_cents"]) if c.cob else 0,
        primary_payer_id=c.cob["payer_id"] if c.cob else "")
    fill_date(message.service_date, c.service_date)
    if c.subscriber:
        sub = c.subscriber_facts()
        message.subscriber.CopyFrom(claim_pb2.Subscriber(
            last_name=sub.last_name, first_name=sub.first_name, gender=sub.gender,
            address_line=sub.address_line, city=sub.city, state=sub.state,
            postal_code=sub.postal_code))
        fill_date(message.subscriber.birth_date, sub.birth_date)
    return message


def subscriber(message: claim_pb2.Subscriber) -> Subscriber:
    """The subscriber a request names; the domain checks its fields."""
    return Subscriber(last_name=message.last_name, first_name=message.first_name,
                      birth_date=to_date(message.birth_date, "subscriber.birth_date"),
                      gender=message.gender, address_line=message.address_line,
                      city=message.city, state=message.state, postal_code=message.postal_code)


def batch_to_proto(b: ClaimBatch, patients: dict[str, str]) -> claim_pb2.ClaimBatch:
    """A batch; ``patients`` gives each claim's account, to name the claims."""
    return claim_pb2.ClaimBatch(
        name=BATCH.format(b.batch_id), batch_id=b.batch_id,
        interchange_control_number=b.control_number, group_control_number=b.control_number,
        claims=[CLAIM.format(patients[i], i) for i in b.claim_ids],
        content=b.content.encode("ascii", "replace"), create_time=timestamp(b.created_at),
        create_staff_id=b.created_by,
        billing_provider_version=billing_provider_version(b.billing_provider_version_id)
        if b.billing_provider_version_id else "")


def authorization_to_proto(a: PriorAuthorization) -> prior_authorization_pb2.PriorAuthorization:
    message = prior_authorization_pb2.PriorAuthorization(
        name=PRIOR_AUTHORIZATION.format(a.patient_id, a.prior_authorization_id),
        prior_authorization_id=a.prior_authorization_id, patient_id=a.patient_id,
        payer_id=a.payer_id, authorization_number=a.authorization_number,
        procedure_codes=a.procedure_codes, units_authorized=a.units_authorized,
        units_used=a.units_used, units_remaining=a.units_remaining,
        state=AUTHORIZATION_STATES[a.state], note=a.note, void_reason=a.void_reason,
        create_time=timestamp(a.created_at), update_time=timestamp(a.updated_at),
        update_staff_id=a.updated_by, units_scheduled=a.units_scheduled,
        units_left_after_scheduled=a.units_left_after_scheduled)
    fill_date(message.start_date, a.start_date)
    fill_date(message.end_date, a.end_date)
    return message


def booking_to_proto(b: Booking) -> prior_authorization_pb2.Booking:
    message = prior_authorization_pb2.Booking(
        name=BOOKING.format(b.patient_id, b.appointment_id), appointment_id=b.appointment_id,
        patient_id=b.patient_id, location_id=b.location_id,
        appointment_type=b.appointment_type, start_time=timestamp(b.start_time),
        payer_id=b.payer_id,
        lines=[prior_authorization_pb2.BookingLine(procedure_code=code, units=units)
               for code, units in b.lines],
        authorization_problem=authorization_problem(b.authorization_problem),
        authorization_problem_detail=b.authorization_problem_detail,
        prior_authorization=PRIOR_AUTHORIZATION.format(b.patient_id, b.prior_authorization_id)
        if b.prior_authorization_id else "")
    fill_date(message.service_date, b.service_date)
    return message


def transition_to_proto(patient_id: str, t: ClaimTransition) -> claim_pb2.ClaimTransition:
    message = claim_pb2.ClaimTransition(
        name=CLAIM_TRANSITION.format(patient_id, t.claim_id, str(t.transition_id)),
        from_state=CLAIM_STATES[ClaimState(t.from_state)] if t.from_state else
        claim_pb2.CLAIM_STATE_UNSPECIFIED,
        to_state=CLAIM_STATES[ClaimState(t.to_state)], occur_time=timestamp(t.occurred_at),
        actor=t.actor, note=t.note, reference=t.reference)
    fill_date(message.effective_date, t.effective_date)
    return message
