"""The billing team's steps for tests: claims drafted, made ready and exported, 835s
answering them imported, balances read."""

import datetime as dt

from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import claim_pb2
from clinic.billing.v1 import claim_service_pb2 as claim_service_pb
from clinic.billing.v1 import remittance_service_pb2 as remittance_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.billing.support import date
from tests.billing.x835 import ClaimPayment, Line

DAY = dt.date(2026, 3, 10)
AS_BILLING = auth.metadata(Role.BILLING, sub="biller-9")
SUBSCRIBER = claim_pb2.Subscriber(last_name="Doe", first_name="Jane", birth_date=date(
    dt.date(1980, 1, 2)), gender="F", address_line="1 Main St", city="Carlsbad", state="CA",
    postal_code="92008")


def draft(billing, patient, appointment):
    names = [c.name for c in billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent=f"accounts/{patient}", appointment_id=appointment)).charges]
    return billing.claims.CreateClaim(claim_service_pb.CreateClaimRequest(
        parent=f"accounts/{patient}", charges=names), metadata=AS_BILLING).claim


def ready(billing, claim, **kw):
    return billing.claims.MarkClaimReady(claim_service_pb.MarkClaimReadyRequest(
        name=claim.name, subscriber=SUBSCRIBER, **kw), metadata=AS_BILLING).claim


def export(billing, *claims, **kw):
    return billing.claims.ExportClaims(claim_service_pb.ExportClaimsRequest(
        claims=[c.name for c in claims], **kw), metadata=AS_BILLING).batch


def answer(claims, charges):
    """p1 partially paid (99213 paid with a PR copay, 90867 denied on the line), p2 paid (a
    deductible to the patient), p3 denied. Each CLP balances: CLP03 - CLP04 - CAS = 0."""
    c1, c2, c3 = claims
    return [
        ClaimPayment(c1.claim_id, "1", 65000, 8000, 2000, lines=[
            Line("99213", 15000, 8000, [("CO", "45", 5000), ("PR", "3", 2000)],
                 charge_ref=charges[c1.claim_id][0], allowed_cents=10000),
            Line("90867", 50000, 0, [("CO", "50", 50000)], charge_ref=charges[c1.claim_id][1],
                 remarks=("N386",))]),
        ClaimPayment(c2.claim_id, "1", 30000, 10000, 5000, lines=[
            Line("90868", 30000, 10000, [("CO", "45", 15000), ("PR", "1", 5000)],
                 allowed_cents=15000)]),
        ClaimPayment(c3.claim_id, "4", 22000, 0, 0, lines=[
            Line("99214", 22000, 0, [("CO", "50", 22000)], remarks=("N115",))]),
    ]


def imported(billing, content: str, **kw):
    return billing.remittances.ImportRemittance(remittance_pb.ImportRemittanceRequest(
        content=content.encode(), **kw), metadata=AS_BILLING)


def state(billing, claim):
    return billing.claims.GetClaim(claim_service_pb.GetClaimRequest(name=claim.name),
                                   metadata=AS_BILLING).claim.state


def balances(billing, patient):
    account = billing.accounts.GetAccount(account_pb.GetAccountRequest(
        name=f"accounts/{patient}")).account
    return account.patient_balance_cents, account.insurance_balance_cents
