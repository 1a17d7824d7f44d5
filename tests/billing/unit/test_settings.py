"""Billing's settings: BILLING_* variables with the clinic's default policy."""

import datetime as dt

import pytest
from clinic_billing.config import BillingSettings
from clinic_common.config import ConfigurationError, load


def test_defaults_are_the_domain_policy_and_the_billing_port(monkeypatch):
    for name in ("BILLING_NO_SHOW_FEE_CENTS", "BILLING_LATE_CANCEL_FEE_CENTS", "BILLING_PORT",
                 "BILLING_TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = load(BillingSettings)
    assert (settings.listen_port, settings.service_name) == (50053, "billing")
    assert (settings.policy.fees.no_show_cents, settings.policy.fees.late_cancel_cents) == \
        (7500, 5000)


def test_fees_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BILLING_NO_SHOW_FEE_CENTS", "10000")
    assert load(BillingSettings).policy.fees.no_show_cents == 10000


@pytest.mark.parametrize("name, value", [("BILLING_LATE_CANCEL_FEE_CENTS", "-1"),
                                         ("BILLING_TIME_ZONE", "Mars/Olympus")])
def test_a_bad_setting_fails_naming_its_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load(BillingSettings)


def test_dates_of_service_are_in_the_clinic_time_zone():
    policy = BillingSettings(time_zone="America/Los_Angeles").policy
    late_evening = dt.datetime(2026, 3, 11, 5, 30, tzinfo=dt.UTC)  # 22:30 on the 10th in LA
    assert policy.local_date(late_evening) == dt.date(2026, 3, 10)


@pytest.mark.parametrize("name, value", [
    ("BILLING_PROVIDER_NPI", "1234567890"), ("BILLING_PROVIDER_TAX_ID", "12-345"),
    ("BILLING_RENDERING_PROVIDER_NPIS", '{"dr-lee": "1234567890"}'),
])
def test_a_bad_provider_identity_fails_naming_its_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load(BillingSettings)


def test_the_billing_provider_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("BILLING_PROVIDER_NPI", "1234567893")
    monkeypatch.setenv("BILLING_PROVIDER_TAX_ID", "12-3456789")
    monkeypatch.setenv("BILLING_RENDERING_PROVIDER_NPIS", '{"dr-lee": "1245319599"}')
    provider = load(BillingSettings).billing_provider
    assert (provider.npi, provider.tax_id, provider.rendering_npi("dr-lee"),
            provider.rendering_npi("dr-who")) == ("1234567893", "123456789", "1245319599", "")


def test_an_835_of_tens_of_thousands_of_claims_fits_one_request_by_default(monkeypatch):
    monkeypatch.delenv("BILLING_MAX_MESSAGE_BYTES", raising=False)
    assert load(BillingSettings).max_message_bytes == 10 * 1024 * 1024
    monkeypatch.setenv("BILLING_MAX_MESSAGE_BYTES", str(64 * 1024 * 1024 + 1))
    with pytest.raises(ConfigurationError, match="BILLING_MAX_MESSAGE_BYTES"):
        load(BillingSettings)
