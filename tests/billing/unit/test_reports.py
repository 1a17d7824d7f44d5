"""Report arithmetic: age buckets, the remittance check, claim balances, denial counts."""

import datetime as dt

from clinic_billing.domain import reports
from clinic_billing.domain.model import EntryKind, LedgerEntry

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)


def test_buckets_count_days_from_the_date_of_service():
    ages = {d: reports.bucket(AS_OF - dt.timedelta(days=d), AS_OF)
            for d in (0, 30, 31, 60, 61, 90, 91, 400)}
    assert ages == {0: "0-30", 30: "0-30", 31: "31-60", 60: "31-60", 61: "61-90", 90: "61-90",
                    91: "90+", 400: "90+"}


def test_a_deposit_reconciles_when_it_is_posted_payments_less_plb():
    ok = reports.RemittanceReconciliation(16500, 18000, 1500, 0, ())
    assert (ok.difference_cents, ok.balanced) == (0, True)
    short = reports.RemittanceReconciliation(20500, 18000, 1500, 4000, ())
    assert (short.difference_cents, short.balanced) == (4000, False)
    assert not reports.RemittanceReconciliation(16500, 18000, 1500, 0, ("c9",)).balanced


def entry(kind, insurance=0, patient=0):
    return LedgerEntry(patient_id="p1", charge_id="c", kind=kind, patient_cents=patient,
                       insurance_cents=insurance, posted_at=NOW)


def test_a_claim_balance_is_charge_less_paid_patient_share_adjustments_and_write_offs():
    b = reports.ClaimBalance("k", "p1", "60054", AS_OF, "PAID", 65000, 47000)
    for e in [entry(EntryKind.PAYMENT, -8000), entry(EntryKind.ADJUSTMENT, -55000),
              entry(EntryKind.PATIENT_RESPONSIBILITY, -2000, 2000),
              entry(EntryKind.PATIENT_PAYMENT, 0, -2000)]:
        b.take(e)
    assert (b.paid_cents, b.adjustment_cents, b.patient_responsibility_cents, b.open_cents,
            b.variance_cents) == (8000, 55000, 2000, 0, -37000)
    assert reports.posted_payments([entry(EntryKind.PAYMENT, -8000),
                                    entry(EntryKind.PAYMENT, 3000)]) == 5000


def test_denials_count_under_each_reason_and_payer():
    rows = reports.denial_summary([("a", ["CO-50"], 100), ("a", ["CO-50", "CO-16"], 50),
                                   ("b", [], 10)])
    assert rows == [("a", "CO-16", 1, 50), ("a", "CO-50", 2, 150), ("b", "-", 1, 10)]


def test_aging_puts_insurance_under_its_payer_and_patients_together():
    aged = reports.aging([("60054", AS_OF, 500, 3000), ("60054", AS_OF - dt.timedelta(days=45),
                                                        0, 100), ("", AS_OF, 700, 0)], -200,
                         AS_OF)
    assert aged.payers == {"60054": {"0-30": 3000, "31-60": 100, "61-90": 0, "90+": 0}}
    assert aged.patients["0-30"] == 1200 and aged.unapplied_patient_credit_cents == -200
