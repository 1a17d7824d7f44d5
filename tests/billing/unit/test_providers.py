"""The billing provider's versions and rendering providers: what they accept, and which
billing provider claims use (a version, else the settings)."""

import datetime as dt

import pytest
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.domain.provider import BillingProviderVersion, RenderingProvider, effective
from clinic_common.errors import FieldViolation

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SETTINGS = BillingProvider("Clinic Group", "1234567893", "123456789",
                           "100 Grand Ave, Carlsbad, CA 92008",
                           rendering_npis={"dr-lee": "1234567893", "dr-old": "9876543213"},
                           phone="6195550100")


def version(**changes) -> BillingProviderVersion:
    fields = dict(organization_name="Coastal Mind", npi="9876543213", tax_id="98-7654321",
                  taxonomy_code="261qm0801x", street="200 Ocean St", city="Oceanside",
                  state="ca", postal_code="92054-1234", phone="(760) 555-0199",
                  effective_from=dt.date(2026, 3, 1), created_at=NOW, created_by="biller-1")
    return BillingProviderVersion(**{**fields, **changes})


def lee(**changes) -> RenderingProvider:
    fields = dict(staff_id="dr-lee", first_name="Anna", last_name="Lee", credentials="MD",
                  npi="1111111112", taxonomy_code="", created_at=NOW, updated_at=NOW,
                  updated_by="biller-1")
    return RenderingProvider(**{**fields, **changes})


def test_a_version_is_normalized_as_the_837p_writes_it():
    v = version()
    assert (v.tax_id, v.state, v.postal_code, v.phone, v.taxonomy_code) == \
        ("987654321", "CA", "920541234", "7605550199", "261QM0801X")


@pytest.mark.parametrize(("changes", "field"), [
    ({"npi": "9876543210"}, "billing_provider.npi"),  # the Luhn check over 80840 fails
    ({"npi": "987654321"}, "billing_provider.npi"),
    ({"tax_id": "12-34567"}, "billing_provider.tax_id"),
    ({"postal_code": "92054"}, "billing_provider.address.postal_code"),  # ZIP+4 required
    ({"state": "California"}, "billing_provider.address.state"),
    ({"organization_name": "A*B"}, "billing_provider.organization_name"),  # an X12 separator
    ({"taxonomy_code": "261QM0801"}, "billing_provider.taxonomy_code"),
    ({"phone": "555-0199"}, "billing_provider.phone"),
])
def test_a_version_refuses_what_a_payer_would_reject(changes, field):
    with pytest.raises(FieldViolation) as refused:
        version(**changes)
    assert refused.value.field == field


def test_a_rendering_provider_needs_a_valid_npi_and_a_name():
    with pytest.raises(FieldViolation) as refused:
        lee(npi="1111111111")
    assert refused.value.field == "rendering_provider.npi"
    with pytest.raises(FieldViolation):
        lee(last_name=" ")
    kept = lee()
    with pytest.raises(FieldViolation):
        kept.change({"npi": "1234567890"}, actor="biller-2", now=NOW)


def test_the_settings_are_used_until_a_version_and_kept_npis_win_over_the_settings():
    assert effective(SETTINGS, None, []) == SETTINGS
    kept = version()
    used = effective(SETTINGS, kept, [lee()])
    assert (used.name, used.npi, used.tax_id, used.phone, used.version_id) == \
        ("Coastal Mind", "9876543213", "987654321", "7605550199", kept.version_id)
    assert used.postal_address() == ("200 Ocean St", "Oceanside", "CA", "920541234")
    assert used.complete
    assert used.rendering_npi("dr-lee") == "1111111112"  # kept over the setting
    assert used.rendering_npi("dr-old") == "9876543213"  # only in the settings
    assert used.rendering_names["dr-lee"].last_name == "Lee"
    assert "dr-old" not in used.rendering_names
