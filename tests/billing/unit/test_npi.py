"""The NPI check digit: Luhn over the 80840 prefix and the first nine digits (CMS)."""

import pytest
from clinic_billing.domain.payer import BillingProvider, npi_is_valid
from clinic_common.errors import FieldViolation


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126", "1679576722"])
def test_known_valid_npis_pass(npi):
    assert npi_is_valid(npi)


@pytest.mark.parametrize("npi", [
    "1234567890", "1234567894", "1245319598", "123456789", "12345678931", "", "12345678a3",
    "１２３４５６７８９３", " 1234567893",
])
def test_invalid_npis_fail(npi):
    assert not npi_is_valid(npi)


def test_a_billing_provider_with_a_bad_npi_is_refused():
    with pytest.raises(FieldViolation):
        BillingProvider(npi="1234567890")
    with pytest.raises(FieldViolation):
        BillingProvider(rendering_npis={"dr-lee": "1234567894"})
