"""Who may call each of billing's methods: one rule per method (see clinic_common.access).

Billing works across locations. The billing team posts and voids charges; the
front desk reads balances and charges to collect at the desk; admins see
everything. Nobody else reads a patient's financial record. The fee schedule
holds no patient data.
"""

from __future__ import annotations

from clinic.billing.v1 import billing_service_pb2
from clinic_common.access import rule
from clinic_common.identity import Role

DESK, BILLING, ADMIN = Role.FRONT_DESK, Role.BILLING, Role.ADMIN
EVERY_STAFF = (DESK, Role.NURSE, Role.PROVIDER, Role.TMS_TECHNICIAN, BILLING, Role.OPS, ADMIN)

PERMISSIONS = {
    billing_service_pb2.DESCRIPTOR.services_by_name["BillingService"]: {
        "GetAccount": rule(DESK, BILLING, ADMIN),
        "ListAccounts": rule(DESK, BILLING, ADMIN),
        "CreateCharge": rule(BILLING, ADMIN),
        "GetCharge": rule(DESK, BILLING, ADMIN),
        "ListCharges": rule(DESK, BILLING, ADMIN),
        "VoidCharge": rule(BILLING, ADMIN),
        "ListFeeSchedule": rule(*EVERY_STAFF, phi=False),
        "GetFeeScheduleEntry": rule(*EVERY_STAFF, phi=False),
    },
}
