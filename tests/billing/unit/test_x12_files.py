"""The 837P billing writes and the 835s it reads, checked with pyx12 against the maps."""

import datetime as dt

import pytest
from clinic_billing.adapters import x12_835, x12_837, x12_validation
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, Subscriber
from clinic_billing.domain.coding import PayerKind
from clinic_billing.domain.model import ChargeSource, Responsibility
from clinic_billing.domain.payer import BillingProvider
from clinic_common.errors import ClinicError

from tests.billing.x835 import ClaimPayment, Line, era

NOW = dt.datetime(2026, 3, 11, 17, 5, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 10)
PROVIDER = BillingProvider(name="Clinic Group", npi="1234567893", tax_id="123456789",
                           address="100 Grand Ave, Carlsbad, CA, 92008-1234",
                           rendering_npis={"dr-lee": "1234567893"})
ENVELOPE = x12_837.Envelope("CLINICGROUP", "CLEARINGHOUSE", "CLEARING HOUSE", usage="T")


def charge(charge_id, code, cents, *, units=1, modifiers=(), dx=("F33.2",), ndc=""):
    return Charge(patient_id="p1", source=ChargeSource.VISIT, procedure_code=code, units=units,
                  service_date=DAY, responsibility=Responsibility.INSURANCE,
                  amount_cents=cents, payer_id="60054", coverage_id="cov-1", posted_at=NOW,
                  charge_id=charge_id, diagnosis_codes=list(dx), modifiers=list(modifiers),
                  rendering_provider_id="dr-lee", ndc=ndc, ndc_unit="UN" if ndc else "",
                  ndc_quantity="3" if ndc else "")


def to_send(charges, kind=PayerKind.COMMERCIAL, priority=1):
    claim = Claim.build("p1", charges, actor="b", now=NOW)
    person = Subscriber("Doe", "Jane", dt.date(1980, 1, 2), "F", "1 Main St", "Carlsbad", "CA",
                        "92008")
    return x12_837.ClaimToSend(claim, charges, person, "W123", "G-7", priority, "Aetna", kind)


def test_an_837p_with_drug_lines_modifiers_and_several_diagnoses_is_valid():
    claims = [
        to_send([charge("c1", "99213", 15000, modifiers=("25",), dx=("F33.2", "F41.1")),
                 charge("c2", "J0013", 134400, units=84, ndc="50458002802", dx=("F33.2",))]),
        to_send([charge("c3", "G2083", 125000)], PayerKind.MEDICARE, priority=2),
        to_send([charge("c4", "90868", 30050, dx=("F33.2", "F43.10", "F42.2", "F41.1"))],
                PayerKind.MEDICAID),
    ]
    text = x12_837.render("batch-1", 42, PROVIDER, ENVELOPE, claims, NOW)
    assert x12_validation.problems(text) == []
    assert "ISA*00*" in text and "*000000042*0*T*:~" in text and "GE*1*42~" in text
    assert "SV1*HC:99213:25*150*UN*1***1:2~" in text and "LIN**N4*50458002802~" in text
    assert "SBR*S*18*G-7******MB~" in text and "CLM*" in text and "*300.50*" in text
    assert "N4*CARLSBAD*CA*920081234~" in text


def test_money_is_written_from_cents_without_floats():
    assert [x12_837.dollars(c) for c in (0, 5, 100, 12345, -250)] == \
        ["0", "0.05", "1", "123.45", "-2.50"]


def test_an_835_is_read_into_claims_lines_adjustments_and_plb():
    text = era([ClaimPayment("k1", "1", 65000, 8000, 2000, lines=[
        Line("99213", 15000, 8000, [("CO", "45", 5000), ("PR", "3", 2000)], modifiers=("25",),
             charge_ref="c1", allowed_cents=10000, remarks=("N130",)),
        Line("90867", 50000, 0, [("CO", "50", 50000)])])], plb=[("WO", "R1", 500)])
    read = x12_835.read(text)
    assert (read.deposit_cents, read.trace_number, read.payer_id, read.payee_id) == \
        (7500, "CHK1001", "60054", "1234567893")
    [claim] = read.claims
    first = claim.services[0]
    assert (first.procedure_code, first.modifiers, first.charge_ref, first.allowed_cents,
            first.remarks) == ("99213", ("25",), "c1", 10000, ("N130",))
    assert [a.code for a in claim.all_adjustments()] == ["CO-45", "PR-3", "CO-50"]
    assert claim.balances and not claim.is_denial
    assert [(p.reason, p.reference, p.cents) for p in read.provider_adjustments] == \
        [("WO", "R1", 500)]


@pytest.mark.parametrize("mangle, segment", [
    (lambda t: t.replace("CLP*k1*1*", "CLP*k1*123*"), "CLP"),
    (lambda t: t.replace("SE*", "SE*9", 1), "ST"),
    (lambda t: t.replace("BPR*I*", "BPR*Q*"), "BPR"),
])
def test_a_malformed_835_names_the_segment_and_its_position(mangle, segment):
    text = mangle(era([ClaimPayment("k1", "1", 100, 100, 0)]))
    with pytest.raises(ClinicError) as refused:
        x12_835.read(text)
    assert (refused.value.reason, refused.value.metadata["segment"]) == ("MALFORMED_X12",
                                                                         segment)
    assert int(refused.value.metadata["position"]) >= 1


def test_an_837p_is_not_an_835():
    text = x12_837.render("b", 1, PROVIDER, ENVELOPE, [to_send([charge("c1", "99213", 100)])],
                          NOW)
    with pytest.raises(ClinicError) as refused:
        x12_835.read(text)
    assert refused.value.reason == "NOT_AN_835"
