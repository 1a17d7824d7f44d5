"""Billing's refusals, each carried to the caller as a gRPC status with a reason.

In the event consumer the same errors are permanent: the event goes to the dead
letters with the reason in its headers.
"""

from clinic_common.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)


def field(name: str, message: str) -> FieldViolation:
    return FieldViolation(name, message)


class AccountNotFound(NotFound):
    default_reason = "ACCOUNT_NOT_FOUND"

    def __init__(self, patient_id: str):
        super().__init__(f"no account for patient {patient_id!r}", patient_id=patient_id)


class ChargeNotFound(NotFound):
    default_reason = "CHARGE_NOT_FOUND"

    def __init__(self, charge_id: str):
        super().__init__(f"charge {charge_id!r} does not exist", charge_id=charge_id)


class FeeScheduleEntryNotFound(NotFound):
    default_reason = "FEE_SCHEDULE_ENTRY_NOT_FOUND"

    def __init__(self, code: str):
        super().__init__(f"no fee schedule entry for {code!r}", procedure_code=code)


class ProcedureNotInFeeSchedule(FailedPrecondition):
    """A charge names a code the fee schedule cannot price."""

    default_reason = "PROCEDURE_NOT_IN_FEE_SCHEDULE"

    def __init__(self, code: str, service_date: object = None):
        when = f" for a date of service {service_date}" if service_date else ""
        super().__init__(f"procedure code {code!r} is not in the fee schedule{when}",
                         procedure_code=code, service_date=service_date or "")


class AccountMerged(FailedPrecondition):
    default_reason = "ACCOUNT_MERGED"

    def __init__(self, patient_id: str, survivor_id: str):
        super().__init__(f"account {patient_id!r} was merged into {survivor_id!r}",
                         patient_id=patient_id, surviving_patient_id=survivor_id)


class ChargeAlreadyVoided(FailedPrecondition):
    default_reason = "CHARGE_ALREADY_VOIDED"

    def __init__(self, charge_id: str):
        super().__init__(f"charge {charge_id!r} is already voided", charge_id=charge_id)


class NoActiveCoverage(FailedPrecondition):
    default_reason = "NO_ACTIVE_COVERAGE"

    def __init__(self, patient_id: str, service_date: object):
        super().__init__(f"patient {patient_id!r} has no active coverage on {service_date}",
                         patient_id=patient_id, service_date=service_date)


class PolicyFeeNotBillableToInsurance(FailedPrecondition):
    default_reason = "POLICY_FEE_NOT_BILLABLE_TO_INSURANCE"

    def __init__(self, code: str):
        super().__init__(f"{code} is a clinic policy fee; the patient owes it",
                         procedure_code=code)


class InvalidMerge(InvalidArgument):
    default_reason = "INVALID_MERGE"

    def __init__(self, merged_id: str, survivor_id: str, why: str):
        super().__init__(f"cannot merge {merged_id!r} into {survivor_id!r}: {why}",
                         merged_patient_id=merged_id, surviving_patient_id=survivor_id)


class ConcurrentModification(Aborted):
    default_reason = "CONCURRENT_MODIFICATION"

    def __init__(self, what: str):
        super().__init__(f"{what} was changed by another request; retry", resource=what)


class PayerNotFound(NotFound):
    default_reason = "PAYER_NOT_FOUND"

    def __init__(self, payer_id: str):
        super().__init__(f"no payer {payer_id!r}", payer_id=payer_id)


class PayerAlreadyExists(AlreadyExists):
    default_reason = "PAYER_ALREADY_EXISTS"

    def __init__(self, payer_id: str):
        super().__init__(f"payer {payer_id!r} exists already", payer_id=payer_id)


class RateNotFound(NotFound):
    default_reason = "CONTRACTED_RATE_NOT_FOUND"

    def __init__(self, payer_id: str, rate_id: str):
        super().__init__(f"payer {payer_id!r} has no contracted rate {rate_id!r}",
                         payer_id=payer_id, rate_id=rate_id)


class RatePeriodOverlaps(FailedPrecondition):
    """Two rates of one payer, code and modifier may not price the same day."""

    default_reason = "RATE_PERIOD_OVERLAPS"

    def __init__(self, payer_id: str, code: str, modifier: str, other_rate_id: str):
        super().__init__(f"payer {payer_id!r} has a rate for {code}{'-' + modifier if modifier else ''}"
                         f" in force on some of these dates ({other_rate_id})",
                         payer_id=payer_id, procedure_code=code, modifier=modifier,
                         other_rate_id=other_rate_id)


class PayerHasRates(FailedPrecondition):
    """A payer with contracted rates stays: its rates price charges already posted."""

    default_reason = "PAYER_HAS_CONTRACTED_RATES"

    def __init__(self, payer_id: str):
        super().__init__(f"payer {payer_id!r} has contracted rates; end them instead",
                         payer_id=payer_id)


class ClaimNotFound(NotFound):
    default_reason = "CLAIM_NOT_FOUND"

    def __init__(self, claim_id: str):
        super().__init__(f"claim {claim_id!r} does not exist", claim_id=claim_id)


class ChargeNotClaimable(FailedPrecondition):
    default_reason = "CHARGE_NOT_CLAIMABLE"

    def __init__(self, charge_id: str, why: str):
        super().__init__(f"charge {charge_id!r} cannot be claimed: {why}", charge_id=charge_id)


class ChargesNotOnOneClaim(FailedPrecondition):
    """A claim is one coverage and one date of service."""

    default_reason = "CHARGES_NOT_ON_ONE_CLAIM"

    def __init__(self, charge_id: str, other_id: str):
        super().__init__(f"charges {charge_id!r} and {other_id!r} differ in coverage or date of "
                         "service", charge_id=charge_id, other_charge_id=other_id)


class ChargeAlreadyClaimed(FailedPrecondition):
    default_reason = "CHARGE_ALREADY_CLAIMED"

    def __init__(self, charge_id: str, claim_id: str):
        super().__init__(f"charge {charge_id!r} is on claim {claim_id!r}", charge_id=charge_id,
                         claim_id=claim_id)


class ChargeOnClaim(FailedPrecondition):
    """A claimed charge is corrected through its claim (a later step), not voided under it."""

    default_reason = "CHARGE_ON_CLAIM"

    def __init__(self, charge_id: str, claim_id: str):
        super().__init__(f"charge {charge_id!r} is on claim {claim_id!r}", charge_id=charge_id,
                         claim_id=claim_id)


class ClaimStateConflict(FailedPrecondition):
    """A claim moves only along its life: draft, ready, submitted, ..."""

    default_reason = "CLAIM_STATE_CONFLICT"

    def __init__(self, claim_id: str, state: object, target: object,
                 allowed: list[str] | None = None):
        allowed = allowed or []
        can = f"; from {state} it can become {', '.join(allowed)}" if allowed else \
            f"; nothing moves a {state} claim"
        super().__init__(f"claim {claim_id!r} is {state}; it cannot become {target}{can}",
                         claim_id=claim_id, state=str(state), target_state=str(target),
                         allowed_transitions=",".join(allowed))


class ClaimNotReady(FailedPrecondition):
    """A claim that would go out wrong stays a draft."""

    default_reason = "CLAIM_NOT_READY"

    def __init__(self, claim_id: str, problem: str, detail: str, charge_id: str = ""):
        super().__init__(f"claim {claim_id!r} is not ready: {detail}", claim_id=claim_id,
                         problem=problem, charge_id=charge_id)


class ControlNumbersExhausted(FailedPrecondition):
    default_reason = "CONTROL_NUMBERS_EXHAUSTED"

    def __init__(self):
        super().__init__("the 9-digit interchange control numbers are used up")


class MalformedX12(InvalidArgument):
    """A file pyx12 finds fault with: nothing of it is posted."""

    default_reason = "MALFORMED_X12"

    def __init__(self, segment: str, position: int, problem: str, problems: int):
        super().__init__(f"the file is not a valid 835: {problem}", segment=segment,
                         position=position, problems=problems)


class NotAn835(InvalidArgument):
    default_reason = "NOT_AN_835"

    def __init__(self, transaction: str, version: str):
        super().__init__(f"the file is a {transaction or 'unknown'} ({version or 'no version'}) "
                         "transaction, not an 835 (005010X221A1)", transaction=transaction,
                         version=version)


class TraceAlreadyImported(AlreadyExists):
    """Another file with the same payer and trace number (TRN) was imported."""

    default_reason = "REMITTANCE_TRACE_ALREADY_IMPORTED"

    def __init__(self, trace_number: str, remittance_id: str):
        super().__init__(f"trace number {trace_number!r} was imported in remittance "
                         f"{remittance_id!r} from a different file", trace_number=trace_number,
                         remittance_id=remittance_id)


class RemittanceNotFound(NotFound):
    default_reason = "REMITTANCE_NOT_FOUND"

    def __init__(self, remittance_id: str):
        super().__init__(f"remittance {remittance_id!r} does not exist",
                         remittance_id=remittance_id)


class PaymentNotFound(NotFound):
    default_reason = "PAYMENT_NOT_FOUND"

    def __init__(self, payment_id: str):
        super().__init__(f"payment {payment_id!r} does not exist", payment_id=payment_id)


class RefundExceedsPayment(FailedPrecondition):
    default_reason = "REFUND_EXCEEDS_PAYMENT"

    def __init__(self, payment_id: str, left_cents: int):
        super().__init__(f"payment {payment_id!r} has {left_cents} cents left to refund",
                         payment_id=payment_id, refundable_cents=left_cents)


class WriteOffNeedsAnotherApprover(FailedPrecondition):
    """A write-off is approved by someone other than who records it."""

    default_reason = "WRITE_OFF_NEEDS_ANOTHER_APPROVER"

    def __init__(self, actor: str):
        super().__init__("a write-off needs an approver other than whoever records it",
                         staff_id=actor)


class WriteOffExceedsBalance(FailedPrecondition):
    default_reason = "WRITE_OFF_EXCEEDS_BALANCE"

    def __init__(self, amount: int, outstanding: int):
        super().__init__(f"the write-off ({amount} cents) is more than is owed ({outstanding})",
                         amount_cents=amount, outstanding_cents=outstanding)


class SuspenseItemNotFound(NotFound):
    default_reason = "SUSPENSE_ITEM_NOT_FOUND"

    def __init__(self, item_id: str):
        super().__init__(f"suspense item {item_id!r} does not exist", item_id=item_id)


class SuspenseAlreadyApplied(FailedPrecondition):
    default_reason = "SUSPENSE_ALREADY_APPLIED"

    def __init__(self, item_id: str, applied_to: str):
        super().__init__(f"suspense item {item_id!r} was applied to {applied_to}",
                         item_id=item_id, applied_to=applied_to)


class NothingToApply(FailedPrecondition):
    default_reason = "SUSPENSE_HAS_NO_MONEY"

    def __init__(self, item_id: str):
        super().__init__(f"suspense item {item_id!r} holds no money to apply", item_id=item_id)


class PriorAuthorizationNotFound(NotFound):
    default_reason = "PRIOR_AUTHORIZATION_NOT_FOUND"

    def __init__(self, authorization_id: str):
        super().__init__(f"prior authorization {authorization_id!r} does not exist",
                         prior_authorization_id=authorization_id)


class AuthorizationVoid(FailedPrecondition):
    default_reason = "PRIOR_AUTHORIZATION_VOID"

    def __init__(self, authorization_id: str):
        super().__init__(f"prior authorization {authorization_id!r} is void",
                         prior_authorization_id=authorization_id)


class AuthorizationUnitsBelowUsed(FailedPrecondition):
    default_reason = "AUTHORIZATION_UNITS_BELOW_USED"

    def __init__(self, authorization_id: str, units: int, used: int):
        super().__init__(f"prior authorization {authorization_id!r} cannot go down to {units} "
                         f"units: charges used {used}", prior_authorization_id=authorization_id,
                         units_used=str(used))


class ClaimIsSecondary(FailedPrecondition):
    default_reason = "CLAIM_IS_SECONDARY"

    def __init__(self, claim_id: str, primary_id: str):
        super().__init__(f"claim {claim_id!r} is the secondary claim of {primary_id!r}",
                         claim_id=claim_id, primary_claim_id=primary_id)


class PrimaryNotAdjudicated(FailedPrecondition):
    default_reason = "PRIMARY_NOT_ADJUDICATED"

    def __init__(self, claim_id: str, state: object):
        super().__init__(f"claim {claim_id!r} is {state}: the secondary payer is billed once "
                         "the primary's remittance is posted (paid, partially paid or denied)",
                         claim_id=claim_id, state=str(state))


class NoSecondaryCoverage(FailedPrecondition):
    default_reason = "NO_SECONDARY_COVERAGE"

    def __init__(self, patient_id: str, service_date: object):
        super().__init__(f"patient {patient_id!r} has no coverage after the primary's in force "
                         f"on {service_date}", patient_id=patient_id, service_date=service_date)


class SecondaryClaimExists(AlreadyExists):
    default_reason = "SECONDARY_CLAIM_EXISTS"

    def __init__(self, primary_id: str, secondary_id: str):
        super().__init__(f"claim {primary_id!r} has secondary claim {secondary_id!r}; void it "
                         "first", claim_id=primary_id, secondary_claim_id=secondary_id)


class NoSuperbillCharges(FailedPrecondition):
    """A superbill lists self-pay services; none fell in the dates asked for."""

    default_reason = "NO_SUPERBILL_CHARGES"

    def __init__(self, patient_id: str, start, end):
        super().__init__(f"no self-pay services on account {patient_id!r} from {start} to "
                         f"{end}", patient_id=patient_id)


class SuperbillNotReady(FailedPrecondition):
    """A superbill without the identifiers an insurer needs is not produced."""

    default_reason = "SUPERBILL_NOT_READY"

    def __init__(self, patient_id: str, problem: str, detail: str, charge_id: str = ""):
        super().__init__(f"no superbill for {patient_id!r}: {detail}", patient_id=patient_id,
                         problem=problem, charge_id=charge_id)


class PolicyFeeNotFound(NotFound):
    default_reason = "POLICY_FEE_NOT_FOUND"

    def __init__(self, fee: str):
        super().__init__(f"no policy fee {fee!r} (NO_SHOW_FEE, LATE_CANCEL_FEE)", fee=fee)


class RenderingProviderNotFound(NotFound):
    default_reason = "RENDERING_PROVIDER_NOT_FOUND"

    def __init__(self, staff_id: str):
        super().__init__(f"no rendering provider {staff_id!r}", staff_id=staff_id)


class RenderingProviderAlreadyExists(AlreadyExists):
    default_reason = "RENDERING_PROVIDER_ALREADY_EXISTS"

    def __init__(self, staff_id: str):
        super().__init__(f"rendering provider {staff_id!r} exists already", staff_id=staff_id)
