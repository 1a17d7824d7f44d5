"""Who may call each of billing's methods: one rule per method (see clinic_common.access).

Billing works across locations. The billing team posts and voids charges,
makes claims and keeps the payers; the front desk reads balances and charges to collect at the
desk; admins see everything. Nobody else reads a patient's financial record.
The fee schedule and the payers hold no patient data.
"""

from __future__ import annotations

from clinic.billing.v1 import (
    account_service_pb2,
    charge_service_pb2,
    claim_service_pb2,
    fee_schedule_service_pb2,
    payer_service_pb2,
    payment_service_pb2,
    prior_authorization_service_pb2,
    provider_service_pb2,
    remittance_service_pb2,
    report_service_pb2,
)
from clinic_common.access import rule
from clinic_common.identity import Role

DESK, BILLING, ADMIN = Role.FRONT_DESK, Role.BILLING, Role.ADMIN
EVERY_STAFF = (DESK, Role.NURSE, Role.PROVIDER, Role.TMS_TECHNICIAN, BILLING, Role.OPS, ADMIN)


def _service(module, name: str):
    return module.DESCRIPTOR.services_by_name[name]


PERMISSIONS = {
    _service(account_service_pb2, "AccountService"): {
        "GetAccount": rule(DESK, BILLING, ADMIN),
        "ListAccounts": rule(DESK, BILLING, ADMIN),
        "GetSuperbill": rule(BILLING, ADMIN),
    },
    _service(charge_service_pb2, "ChargeService"): {
        "CreateCharge": rule(BILLING, ADMIN),
        "GetCharge": rule(DESK, BILLING, ADMIN),
        "ListCharges": rule(DESK, BILLING, ADMIN),
        "VoidCharge": rule(BILLING, ADMIN),
    },
    _service(claim_service_pb2, "ClaimService"): {
        "CreateClaim": rule(BILLING, ADMIN),
        "GetClaim": rule(BILLING, ADMIN),
        "ListClaims": rule(BILLING, ADMIN),
        "MarkClaimReady": rule(BILLING, ADMIN),
        "VoidClaim": rule(BILLING, ADMIN),
        "ExportClaims": rule(BILLING, ADMIN),
        "MarkClaimAccepted": rule(BILLING, ADMIN),
        "AppealClaim": rule(BILLING, ADMIN),
        "CloseClaim": rule(BILLING, ADMIN),
        "CreateSecondaryClaim": rule(BILLING, ADMIN),
        "ListClaimTransitions": rule(BILLING, ADMIN),
    },
    _service(payment_service_pb2, "PaymentService"): {
        "RecordPayment": rule(DESK, BILLING, ADMIN),
        "GetPayment": rule(DESK, BILLING, ADMIN),
        "ListPayments": rule(DESK, BILLING, ADMIN),
        "RefundPayment": rule(BILLING, ADMIN),
        "CreateWriteOff": rule(BILLING, ADMIN),
        "ApplySuspenseItem": rule(BILLING, ADMIN),
    },
    _service(remittance_service_pb2, "RemittanceService"): {
        "ImportRemittance": rule(BILLING, ADMIN),
        "GetRemittance": rule(BILLING, ADMIN),
        "ListRemittances": rule(BILLING, ADMIN),
        "ListDenials": rule(BILLING, ADMIN),
        "ListSuspenseItems": rule(BILLING, ADMIN),
    },
    _service(report_service_pb2, "ReportService"): {
        "GetRemittanceReconciliation": rule(BILLING, ADMIN),
        "ListClaimBalances": rule(BILLING, ADMIN),
        "GetPaymentVariance": rule(BILLING, ADMIN),
        "GetDenialSummary": rule(BILLING, ADMIN),
        "GetArAging": rule(BILLING, ADMIN),
        "GetPatientStatement": rule(DESK, BILLING, ADMIN),
        "GetDailyTotals": rule(BILLING, ADMIN),
    },
    _service(prior_authorization_service_pb2, "PriorAuthorizationService"): {
        "CreatePriorAuthorization": rule(BILLING, ADMIN),
        "GetPriorAuthorization": rule(DESK, BILLING, ADMIN),
        "ListPriorAuthorizations": rule(DESK, BILLING, ADMIN),
        "UpdatePriorAuthorization": rule(BILLING, ADMIN),
        "VoidPriorAuthorization": rule(BILLING, ADMIN),
        "ListExpiringPriorAuthorizations": rule(BILLING, ADMIN),
        "ListBookingsBeyondAuthorization": rule(BILLING, ADMIN),
    },
    _service(fee_schedule_service_pb2, "FeeScheduleService"): {
        "ListFeeScheduleEntries": rule(*EVERY_STAFF, phi=False),
        "GetFeeScheduleEntry": rule(*EVERY_STAFF, phi=False),
        "ListPriceVersions": rule(*EVERY_STAFF, phi=False),
        "ListPolicyFees": rule(*EVERY_STAFF, phi=False),
        "UpdateFeeScheduleEntry": rule(BILLING, ADMIN, phi=False),
        "UpdatePolicyFee": rule(BILLING, ADMIN, phi=False),
    },
    # Provider identities hold no patient data: not audited (a version and a rendering
    # provider record who set them). Read and kept by the billing team.
    _service(provider_service_pb2, "ProviderService"): {
        "GetBillingProvider": rule(BILLING, ADMIN, phi=False),
        "UpdateBillingProvider": rule(BILLING, ADMIN, phi=False),
        "ListBillingProviderVersions": rule(BILLING, ADMIN, phi=False),
        "CreateRenderingProvider": rule(BILLING, ADMIN, phi=False),
        "GetRenderingProvider": rule(BILLING, ADMIN, phi=False),
        "ListRenderingProviders": rule(BILLING, ADMIN, phi=False),
        "UpdateRenderingProvider": rule(BILLING, ADMIN, phi=False),
    },
    _service(payer_service_pb2, "PayerService"): {
        "CreatePayer": rule(BILLING, ADMIN, phi=False),
        "GetPayer": rule(*EVERY_STAFF, phi=False),
        "ListPayers": rule(*EVERY_STAFF, phi=False),
        "UpdatePayer": rule(BILLING, ADMIN, phi=False),
        "DeletePayer": rule(BILLING, ADMIN, phi=False),
        "CreateContractedRate": rule(BILLING, ADMIN, phi=False),
        "GetContractedRate": rule(BILLING, ADMIN, phi=False),
        "ListContractedRates": rule(BILLING, ADMIN, phi=False),
        "UpdateContractedRate": rule(BILLING, ADMIN, phi=False),
        "DeleteContractedRate": rule(BILLING, ADMIN, phi=False),
    },
}
