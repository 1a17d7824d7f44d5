"""ReportService over gRPC: translate requests to queries, figures to messages."""

from __future__ import annotations

import datetime as dt

from clinic.billing.v1 import report_service_pb2 as pb
from clinic.billing.v1 import report_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import WILDCARD
from clinic_common.protoconv import fill_date, to_date

from clinic_billing.domain import reports as figures
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import reports


def _buckets(values: dict[str, int]) -> pb.AgingBuckets:
    return pb.AgingBuckets(days_0_30_cents=values["0-30"], days_31_60_cents=values["31-60"],
                           days_61_90_cents=values["61-90"], days_over_90_cents=values["90+"])


class ReportServicer(pb_grpc.ReportServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def GetRemittanceReconciliation(self, request, context):
        r = reports.reconcile_remittance(cv.REMITTANCE.parse_one(request.name), self.runner)
        return pb.GetRemittanceReconciliationResponse(
            deposit_cents=r.deposit_cents, posted_payment_cents=r.posted_payment_cents,
            provider_adjustment_cents=r.provider_adjustment_cents,
            suspense_cents=r.suspense_cents, difference_cents=r.difference_cents,
            unbalanced_claims=list(r.unbalanced_claims), balanced=r.balanced)

    def ListClaimBalances(self, request, context):
        patient_id = cv.ACCOUNTS.parse_one(request.parent, "parent")
        want = paging.page_request(request)
        page = reports.claim_balances("" if patient_id == WILDCARD else patient_id, self.runner,
                                      limit=want.size, after=want.after)
        return pb.ListClaimBalancesResponse(
            balances=[self._balance(b) for b in page.balances],
            next_page_token=paging.next_page_token(page.next_key, request))

    @staticmethod
    def _balance(b: figures.ClaimBalance) -> pb.ClaimBalance:
        message = pb.ClaimBalance(
            claim=cv.CLAIM.format(b.patient_id, b.claim_id), payer_id=b.payer_id,
            state=str(b.state), charge_cents=b.charge_cents, paid_cents=b.paid_cents,
            patient_responsibility_cents=b.patient_responsibility_cents,
            adjustment_cents=b.adjustment_cents, write_off_cents=b.write_off_cents,
            open_cents=b.open_cents, contracted_cents=b.contracted_cents,
            variance_cents=b.variance_cents)
        fill_date(message.service_date, b.service_date)
        return message

    def GetPaymentVariance(self, request, context):
        start = to_date(request.start_date, "start_date")
        end = to_date(request.end_date, "end_date")
        if end < start:
            raise FieldViolation("end_date", "is before start_date")
        return pb.GetPaymentVarianceResponse(payers=[
            pb.PayerVariance(**row) for row in reports.payment_variance(start, end, self.runner)])

    def GetDenialSummary(self, request, context):
        start = to_date(request.start_date, "start_date", required=False)
        end = to_date(request.end_date, "end_date", required=False)
        if start and end and end < start:
            raise FieldViolation("end_date", "is before start_date")
        rows = reports.denial_summary(self._start(start), self._start(end, 1), self.runner)
        return pb.GetDenialSummaryResponse(rows=[
            pb.DenialCount(payer_id=p, reason_code=c, count=n, denied_cents=cents)
            for p, c, n, cents in rows])

    def GetArAging(self, request, context):
        aging = reports.ar_aging(to_date(request.as_of, "as_of"), self.policy, self.runner)
        return pb.GetArAgingResponse(
            payers=[pb.PayerAging(payer_id=p, buckets=_buckets(v))
                    for p, v in sorted(aging.payers.items())],
            patients=_buckets(aging.patients),
            unapplied_patient_credit_cents=aging.unapplied_patient_credit_cents)

    def GetPatientStatement(self, request, context):
        patient_id = cv.ACCOUNT.parse_one(request.account, "account")
        start = to_date(request.start_date, "start_date", required=False)
        end = to_date(request.end_date, "end_date", required=False)
        if start and end and end < start:
            raise FieldViolation("end_date", "is before start_date")
        s = reports.statement(patient_id, start, end, self.policy, self.runner)
        response = pb.GetPatientStatementResponse(
            opening_patient_cents=s.opening_patient_cents,
            closing_patient_cents=s.closing_patient_cents,
            closing_insurance_cents=s.closing_insurance_cents)
        for line in s.lines:
            e = line.entry
            added = response.lines.add(kind=str(e.kind), procedure_code=line.procedure_code,
                                       reason=e.reason, patient_cents=e.patient_cents,
                                       insurance_cents=e.insurance_cents,
                                       patient_balance_cents=line.patient_balance_cents)
            fill_date(added.date, line.day)
        return response

    def GetDailyTotals(self, request, context):
        rows = reports.daily_totals(to_date(request.date, "date"), self.policy, self.runner)
        return pb.GetDailyTotalsResponse(locations=[pb.LocationTotals(**row) for row in rows])

    def _start(self, day: dt.date | None, plus: int = 0) -> dt.datetime | None:
        if day is None:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=plus), dt.time(),
                                   self.policy.zone).astimezone(dt.UTC)
