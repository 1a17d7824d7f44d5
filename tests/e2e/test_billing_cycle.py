"""The billing cycle across the three services, as processes on PostgreSQL and the broker:
follow-ups completed in scheduling become charges, the billing team makes claims of them and
exports an 837P that pyx12 validates, the payer's 835 (one claim paid, one partially paid,
one denied) is imported, imported again as a no-op, and the reconciliation balances to the
cent."""

from __future__ import annotations

import datetime as dt

import pytest
from clinic.billing.v1 import (
    claim_pb2,
    claim_service_pb2,
    claim_service_pb2_grpc,
    payer_pb2,
    payer_service_pb2,
    payer_service_pb2_grpc,
    remittance_pb2,
    remittance_service_pb2,
    remittance_service_pb2_grpc,
    report_service_pb2,
    report_service_pb2_grpc,
)
from clinic.scheduling.v1 import visit_service_pb2 as visit_pb
from clinic_billing.adapters import x12_validation
from clinic_common.identity import Role
from clinic_common.protoconv import fill_date
from clinic_devtools.testing import auth

from tests.billing.x835 import ClaimPayment, Line, era
from tests.e2e.conftest import eventually, next_open_time
from tests.e2e.test_patient_journey import (
    Intake,
    add_coverage,
    book,
    clear_for_ketamine,
    ketamine_plan,
    prepare_for_ketamine,
)

pytestmark = pytest.mark.e2e
BILLER = auth.metadata(Role.BILLING, sub="biller-9")


class Billing:
    def __init__(self, stack):
        channel = stack.channels["billing"]
        self.claims = claim_service_pb2_grpc.ClaimServiceStub(channel)
        self.payers = payer_service_pb2_grpc.PayerServiceStub(channel)
        self.remittances = remittance_service_pb2_grpc.RemittanceServiceStub(channel)
        self.reports = report_service_pb2_grpc.ReportServiceStub(channel)


def visit_days(count: int, closed: frozenset) -> list[dt.datetime]:
    """The 9 AM start of ``count`` coming open days, one per day."""
    starts: list[dt.datetime] = []
    ahead = 1
    while len(starts) < count:
        start = next_open_time(9, days_ahead=ahead, closed=closed)
        if not starts or start.date() != starts[-1].date():
            starts.append(start)
        ahead += 1
    return starts


def complete_follow_up(stack, patient_id: str, start: dt.datetime) -> str:
    booked = book(stack, patient_id, "FOLLOW_UP", start)
    with stack.scheduling_time(booked.end_time.ToDatetime(dt.UTC)):  # a visit done is over
        stack.visits.CheckInAppointment(visit_pb.CheckInAppointmentRequest(name=booked.name))
        stack.visits.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
            name=booked.name, rendering_provider_id="dr-lee"))
    return booked.appointment_id


def subscriber() -> claim_pb2.Subscriber:
    person = claim_pb2.Subscriber(last_name="Doe", first_name="Jane", gender="F",
                                  address_line="1 Main St", city="Carlsbad", state="CA",
                                  postal_code="92008")
    fill_date(person.birth_date, dt.date(1980, 1, 2))
    return person


def test_visits_become_claims_an_837p_goes_out_and_the_835_reconciles(stack):
    stack.apply_locations()
    intake, billing = Intake(stack), Billing(stack)
    patient = stack.register_patient(preferred_location_id="la-jolla")
    patient_id = patient.patient_id
    # The plan first, then the coverage: once billing shows the coverage it has the plan too
    # (intake's events about one patient arrive in order), and a follow-up points at its
    # indication.
    prepare_for_ketamine(intake, patient.name)
    clear_for_ketamine(intake, patient.name)
    ketamine_plan(intake, patient.name)
    add_coverage(intake, patient.name)
    eventually(lambda: stack.account(patient_id).coverages)
    billing.payers.CreatePayer(payer_service_pb2.CreatePayerRequest(
        payer_id="60054", payer=payer_pb2.Payer(display_name="Aetna",
                                                kind=payer_pb2.PAYER_KIND_COMMERCIAL)),
        metadata=BILLER)

    # Four follow-ups: two on the first day (one claim of two lines), one on each of two more.
    day1, day2, day3 = visit_days(3, stack.closures("la-jolla"))
    appointments = [complete_follow_up(stack, patient_id, day1),
                    complete_follow_up(stack, patient_id, day1 + dt.timedelta(hours=4)),
                    complete_follow_up(stack, patient_id, day2),
                    complete_follow_up(stack, patient_id, day3)]
    charges = eventually(lambda: (found := [c for c in stack.charges(patient_id)
                                            if c.appointment_id in appointments])
                         and len(found) == 4 and found)
    assert {(c.procedure_code, tuple(c.diagnosis_codes), c.payer_id) for c in charges} == \
        {("99213", ("F33.2",), "60054")}
    by_appointment = {c.appointment_id: c for c in charges}
    groups = [appointments[:2], appointments[2:3], appointments[3:]]
    claims = []
    for group in groups:
        draft = billing.claims.CreateClaim(claim_service_pb2.CreateClaimRequest(
            parent=f"accounts/{patient_id}", charges=[by_appointment[a].name for a in group]),
            metadata=BILLER).claim
        claims.append(billing.claims.MarkClaimReady(claim_service_pb2.MarkClaimReadyRequest(
            name=draft.name, subscriber=subscriber()), metadata=BILLER).claim)
    batch = billing.claims.ExportClaims(claim_service_pb2.ExportClaimsRequest(
        claims=[c.name for c in claims]), metadata=BILLER).batch
    problems = x12_validation.problems(batch.content.decode("ascii"))
    assert problems == [], "\n".join(map(str, problems))
    assert batch.interchange_control_number >= 1 and len(batch.claims) == 3

    # The payer answers: the two-line claim partially paid (one line denied as bundled),
    # the second paid with a deductible, the third denied.
    a, b, c = claims
    [a1, a2] = [by_appointment[x].charge_id for x in groups[0]]
    content = era([
        ClaimPayment(a.claim_id, "1", 30000, 9000, 2000, lines=[
            Line("99213", 15000, 9000, [("CO", "45", 4000), ("PR", "3", 2000)], charge_ref=a1),
            Line("99213", 15000, 0, [("CO", "97", 15000)], charge_ref=a2)]),
        ClaimPayment(b.claim_id, "1", 15000, 8000, 3000, lines=[
            Line("99213", 15000, 8000, [("CO", "45", 4000), ("PR", "1", 3000)])]),
        ClaimPayment(c.claim_id, "4", 15000, 0, 0, lines=[
            Line("99213", 15000, 0, [("CO", "50", 15000)], remarks=("N115",))]),
    ], plb=[("L6", "INTEREST", -150)], day=day3.date())
    assert x12_validation.problems(content) == []
    imported = billing.remittances.ImportRemittance(
        remittance_service_pb2.ImportRemittanceRequest(content=content.encode()),
        metadata=BILLER)
    outcomes = [r.outcome for r in imported.remittance.claims]
    assert outcomes == [remittance_pb2.POSTING_OUTCOME_PARTIALLY_PAID,
                        remittance_pb2.POSTING_OUTCOME_PAID, remittance_pb2.POSTING_OUTCOME_DENIED]
    account = stack.account(patient_id)
    assert (account.patient_balance_cents, account.insurance_balance_cents) == (5000, 0)

    balances_before = billing.reports.ListClaimBalances(
        report_service_pb2.ListClaimBalancesRequest(parent=f"accounts/{patient_id}"),
        metadata=BILLER).balances
    again = billing.remittances.ImportRemittance(
        remittance_service_pb2.ImportRemittanceRequest(content=content.encode()),
        metadata=BILLER)
    assert again.already_imported and again.remittance == imported.remittance
    assert billing.reports.ListClaimBalances(report_service_pb2.ListClaimBalancesRequest(
        parent=f"accounts/{patient_id}"), metadata=BILLER).balances == balances_before
    account = stack.account(patient_id)
    assert (account.patient_balance_cents, account.insurance_balance_cents) == (5000, 0)

    # Reconciliation to the cent: deposit = payments - PLB (interest paid raises it), and
    # every claim's charge - paid - patient share - adjustments = 0.
    reconciled = billing.reports.GetRemittanceReconciliation(
        report_service_pb2.GetRemittanceReconciliationRequest(name=imported.remittance.name),
        metadata=BILLER)
    assert (reconciled.deposit_cents, reconciled.posted_payment_cents,
            reconciled.provider_adjustment_cents, reconciled.difference_cents,
            reconciled.balanced) == (17150, 17000, -150, 0, True)
    assert [(x.charge_cents, x.paid_cents, x.patient_responsibility_cents, x.adjustment_cents,
             x.open_cents) for x in balances_before] == [
        (30000, 9000, 2000, 19000, 0), (15000, 8000, 3000, 4000, 0), (15000, 0, 0, 15000, 0)]
    denials = billing.reports.GetDenialSummary(report_service_pb2.GetDenialSummaryRequest(),
                                               metadata=BILLER).rows
    assert [(d.payer_id, d.reason_code, d.count) for d in denials] == [("60054", "CO-50", 1)]
    states = [billing.claims.GetClaim(claim_service_pb2.GetClaimRequest(name=x.name),
                                      metadata=BILLER).claim.state for x in claims]
    assert states == [claim_pb2.CLAIM_STATE_PARTIALLY_PAID, claim_pb2.CLAIM_STATE_PAID,
                      claim_pb2.CLAIM_STATE_DENIED]
