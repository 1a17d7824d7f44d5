"""AccountService.GetSuperbill on SQLite and PostgreSQL: the PDF a self-pay patient sends
their insurer, read back with pypdf; what it lists and leaves off; refusals."""

import datetime as dt
import io

import grpc
import pytest
from clinic.billing.v1 import account_service_pb2 as pb
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import payment_pb2
from clinic.billing.v1 import payment_service_pb2 as payment_pb
from clinic.scheduling.v1 import events_pb2 as scheduling
from clinic_common.identity import Role
from clinic_common.protoconv import timestamp
from clinic_devtools.testing import auth
from pypdf import PdfReader

from tests.billing.flow import AS_BILLING
from tests.billing.support import PROVIDER, completed, date, error_metadata, reason, row_counts

AS_DESK = auth.metadata(Role.FRONT_DESK, sub="desk-1")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def superbill(billing, patient="p1", start=MARCH[0], end=MARCH[1], metadata=AS_BILLING):
    return billing.accounts.GetSuperbill(pb.GetSuperbillRequest(
        name=f"accounts/{patient}", start_date=date(start), end_date=date(end)),
        metadata=metadata)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def self_pay(start_billing):
    """p1 without insurance: an infusion on March 2 (96365 + 35 mg of J3490), a follow-up
    on March 9, a no-show fee on March 16, a follow-up in April; $500 paid at the desk."""
    billing = start_billing(**PROVIDER)
    billing.register("p1")
    billing.deliver(completed("a1", "p1", dt.date(2026, 3, 2), ("96365", 1), ("J3490", 35)))
    billing.deliver(completed("a2", "p1", dt.date(2026, 3, 9), ("99213", 1)))
    billing.deliver(scheduling.AppointmentNoShow(
        appointment_id="a3", patient_id="p1", location_id="carlsbad",
        start_time=timestamp(dt.datetime(2026, 3, 16, 17, tzinfo=dt.UTC))))
    billing.deliver(completed("a4", "p1", dt.date(2026, 4, 6), ("99213", 1)))
    billing.payments.RecordPayment(payment_pb.RecordPaymentRequest(
        parent="accounts/p1", payment=payment_pb2.Payment(
            method=payment_pb2.PAYMENT_METHOD_CARD, amount_cents=50000, reference="AUTH-7",
            location_id="carlsbad")), metadata=AS_DESK)
    return billing


def test_a_superbill_lists_the_self_pay_services_with_codes_diagnoses_npis_and_amounts(
        self_pay):
    before = row_counts(self_pay.runtime)
    answer = superbill(self_pay)
    assert answer.filename == "superbill-p1-20260301-20260331.pdf"
    assert [(line.procedure_code, line.units, line.charge_cents, line.place_of_service)
            for line in answer.lines] == [
        ("96365", 1, 45000, "11"), ("J3490", 35, 3500, "11"), ("99213", 1, 12500, "11")]
    assert [line.description for line in answer.lines][2] == \
        "Established patient visit, low complexity"
    assert {line.rendering_provider_npi for line in answer.lines} == {"1234567893"}
    assert list(answer.diagnosis_codes) == ["F33.2"]
    # $500 paid goes to the oldest services first: the infusion and drug, then $15 of
    # the follow-up; the no-show fee is no service and April is outside the dates.
    assert [line.paid_cents for line in answer.lines] == [45000, 3500, 1500]
    assert (answer.charged_cents, answer.paid_cents) == (61000, 50000)
    assert (answer.billing_provider_npi, answer.billing_provider_tax_id) == \
        ("1234567893", "123456789")

    text = text_of(answer.pdf)
    for expected in ["SUPERBILL", "Clinic Group", "100 Grand Ave, Carlsbad, CA 92008",
                     "NPI: 1234567893", "Tax ID (EIN): 12-3456789", "Account: p1",
                     "03/01/2026 to 03/31/2026", "F33.2", "96365", "J3490", "99213",
                     "IV infusion, first hour", "03/02/2026", "03/09/2026", "$450.00",
                     "$35.00", "$125.00", "$15.00", "Total charged: $610.00",
                     "Paid by the patient: $500.00"]:
        assert expected in text, expected
    for absent in ["NO_SHOW_FEE", "04/06/2026"]:
        assert absent not in text
    assert row_counts(self_pay.runtime) == before  # a read: nothing written but the audit


def test_a_voided_charge_and_a_charge_to_insurance_are_not_on_the_superbill(self_pay):
    infusion = superbill(self_pay).lines[0]
    self_pay.charges.VoidCharge(charge_pb.VoidChargeRequest(
        name=infusion.charge, reason="entered twice"), metadata=AS_BILLING)
    self_pay.cover("p1", "cov-1", "60054", effective=dt.date(2026, 3, 5))
    self_pay.deliver(completed("a5", "p1", dt.date(2026, 3, 10), ("99214", 1)))
    answer = superbill(self_pay)
    assert [line.procedure_code for line in answer.lines] == ["J3490", "99213"]
    assert "96365" not in text_of(answer.pdf) and "99214" not in text_of(answer.pdf)


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


def test_refusals_unknown_account_no_services_bad_dates_and_who_may_ask(self_pay):
    error = refused(lambda: superbill(self_pay, patient="nobody"))
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND")
    error = refused(lambda: superbill(self_pay, start=dt.date(2026, 5, 1),
                                      end=dt.date(2026, 5, 31)))
    assert (error.code(), reason(error)) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "NO_SUPERBILL_CHARGES")
    error = refused(lambda: superbill(self_pay, start=dt.date(2026, 3, 16),
                                      end=dt.date(2026, 3, 16)))  # only the no-show fee
    assert reason(error) == "NO_SUPERBILL_CHARGES"
    error = refused(lambda: superbill(self_pay, start=MARCH[1], end=MARCH[0]))
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    error = refused(lambda: self_pay.accounts.GetSuperbill(pb.GetSuperbillRequest(
        name="accounts/p1", start_date=date(MARCH[0])), metadata=AS_BILLING))
    assert reason(error) == "INVALID_FIELD"  # both dates are needed
    error = refused(lambda: superbill(self_pay, metadata=AS_DESK))
    assert (error.code(), reason(error)) == \
        (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")


def test_no_superbill_without_the_identifiers_an_insurer_needs(start_billing):
    billing = start_billing(**{**PROVIDER, "provider_tax_id": ""})
    billing.register("p1")
    billing.deliver(completed("a1", "p1", dt.date(2026, 3, 2), ("99213", 1)))
    error = refused(lambda: superbill(billing))
    assert (error.code(), reason(error), error_metadata(error)["problem"]) == \
        (grpc.StatusCode.FAILED_PRECONDITION, "SUPERBILL_NOT_READY",
         "BILLING_PROVIDER_INCOMPLETE")
    other = start_billing(**{**PROVIDER, "rendering_provider_npis": {}})
    error = refused(lambda: superbill(other))
    assert error_metadata(error)["problem"] == "RENDERING_NPI_MISSING"
    assert error_metadata(error)["charge_id"]
