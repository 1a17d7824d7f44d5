"""Superbill rules: which charges, what was paid for each, what an insurer needs."""

import datetime as dt

import pytest
from clinic_billing.domain import errors
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import (
    ChargeSource,
    ChargeState,
    EntryKind,
    LedgerEntry,
    Responsibility,
)
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.domain.superbill import paid_by_charge, superbill

NOW = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
PROVIDER = BillingProvider("Clinic Group", "1234567893", "123456789",
                           "100 Grand Ave, Carlsbad, CA 92008", {"dr-lee": "1234567893"})


def charge(cid, day, cents, *, source=ChargeSource.VISIT, who=Responsibility.PATIENT,
           state=ChargeState.POSTED, code="99213"):
    return Charge(patient_id="p1", source=source, procedure_code=code, units=1,
                  service_date=dt.date(2026, 3, day), responsibility=who, amount_cents=cents,
                  rendering_provider_id="dr-lee", state=state, posted_at=NOW, charge_id=cid,
                  diagnosis_codes=["F33.2"])


def entry(kind, patient_cents, charge_id=None):
    return LedgerEntry(patient_id="p1", charge_id=charge_id, kind=kind,
                       patient_cents=patient_cents, insurance_cents=0, posted_at=NOW)


def test_payments_less_refunds_go_to_the_oldest_charges_first():
    charges = [charge("c2", 9, 12500), charge("c1", 2, 45000), charge("c3", 16, 7500)]
    entries = [entry(EntryKind.CHARGE, 45000, "c1"), entry(EntryKind.CHARGE, 12500, "c2"),
               entry(EntryKind.CHARGE, 7500, "c3"), entry(EntryKind.PATIENT_PAYMENT, -60000),
               entry(EntryKind.REFUND, 5000), entry(EntryKind.WRITE_OFF, -2500, "c1")]
    # 55000 paid: c1 owes 42500 after its write-off, c2 12500, nothing left for c3.
    assert paid_by_charge(entries, charges) == {"c1": 42500, "c2": 12500, "c3": 0}
    assert paid_by_charge(entries[:3], charges) == {"c1": 0, "c2": 0, "c3": 0}


def test_only_standing_self_pay_services_in_the_dates_are_listed():
    charges = [charge("c1", 2, 45000), charge("c2", 9, 100, who=Responsibility.INSURANCE),
               charge("c3", 10, 7500, source=ChargeSource.NO_SHOW_FEE, code="NO_SHOW_FEE"),
               charge("c4", 11, 100, state=ChargeState.VOIDED), charge("c5", 31, 200)]
    bill = superbill("p1", dt.date(2026, 3, 1), dt.date(2026, 3, 30), charges,
                     {"99213": "Established patient visit"}, PROVIDER, {"c1": 100}, NOW)
    assert [(line.charge.charge_id, line.paid_cents, line.description) for line in bill.lines] \
        == [("c1", 100, "Established patient visit")]
    assert (bill.charged_cents, bill.paid_cents, bill.diagnosis_codes) == (45000, 100, ["F33.2"])


@pytest.mark.parametrize("provider, problem", [
    (BillingProvider("Clinic Group", "1234567893", "", "100 Grand Ave, Carlsbad, CA 92008",
                     {"dr-lee": "1234567893"}), "BILLING_PROVIDER_INCOMPLETE"),
    (BillingProvider("Clinic Group", "1234567893", "123456789", "Carlsbad",
                     {"dr-lee": "1234567893"}), "BILLING_PROVIDER_INCOMPLETE"),
    (BillingProvider("Clinic Group", "1234567893", "123456789",
                     "100 Grand Ave, Carlsbad, CA 92008"), "RENDERING_NPI_MISSING")])
def test_a_superbill_needs_the_identifiers_an_insurer_asks_for(provider, problem):
    with pytest.raises(errors.SuperbillNotReady) as refused:
        superbill("p1", dt.date(2026, 3, 1), dt.date(2026, 3, 31), [charge("c1", 2, 45000)],
                  {}, provider, {}, NOW)
    assert refused.value.metadata["problem"] == problem
