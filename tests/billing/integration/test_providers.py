"""ProviderService on SQLite and PostgreSQL: the billing provider as dated versions over
the settings, rendering providers by staff id, what the 837P (validated by pyx12) and the
superbill take from them, and refusals that change nothing."""

import datetime as dt
import io

import grpc
import pytest
from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import claim_pb2
from clinic.billing.v1 import provider_pb2 as msg
from clinic.billing.v1 import provider_service_pb2 as pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from google.protobuf.field_mask_pb2 import FieldMask
from pypdf import PdfReader

from tests.billing.flow import AS_BILLING, DAY, draft, export, ready
from tests.billing.integration.test_claim_export import assert_valid_837
from tests.billing.support import PROVIDER, completed, date, error_metadata, reason, row_counts

ALL = ["organization_name", "npi", "tax_id", "taxonomy_code", "address", "phone"]
NEW = msg.BillingProvider(
    name="billingProvider", organization_name="Coastal Mind Clinics", npi="9876543213",
    tax_id="98-7654321", taxonomy_code="261QM0801X", phone="(760) 555-0199",
    address=msg.ProviderAddress(street="200 Ocean St", city="Oceanside", state="ca",
                                postal_code="92054-1234"))
LEE = msg.RenderingProvider(first_name="Anna", last_name="Lee", credentials="MD",
                            npi="1111111112", taxonomy_code="2084P0800X")


def set_provider(billing, provider=NEW, paths=ALL, day=None, metadata=AS_BILLING, **kw):
    return billing.providers.UpdateBillingProvider(pb.UpdateBillingProviderRequest(
        billing_provider=provider, update_mask=FieldMask(paths=list(paths)),
        effective_date=date(day) if day else None, **kw), metadata=metadata).billing_provider


def get_provider(billing, day=None):
    return billing.providers.GetBillingProvider(pb.GetBillingProviderRequest(
        name="billingProvider", as_of=date(day) if day else None),
        metadata=AS_BILLING).billing_provider


def add_rendering(billing, staff_id="dr-lee", provider=LEE, **kw):
    return billing.providers.CreateRenderingProvider(pb.CreateRenderingProviderRequest(
        rendering_provider_id=staff_id, rendering_provider=provider, **kw),
        metadata=AS_BILLING).rendering_provider


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


def test_the_settings_are_the_billing_provider_until_a_version_is_set(start_billing):
    billing = start_billing(**PROVIDER)
    before = get_provider(billing)
    assert (before.organization_name, before.npi, before.tax_id, before.version,
            before.address.postal_code, before.phone) == \
        ("Clinic Group", "1234567893", "123456789", "", "92008", "6195550100")
    first = set_provider(billing, day=dt.date(2026, 3, 1), request_id="bp-1")
    assert first.version.startswith("billingProvider/versions/")
    assert (first.organization_name, first.tax_id, first.address.state,
            first.address.postal_code, first.phone, first.create_staff_id,
            first.effective_date.month) == \
        ("Coastal Mind Clinics", "987654321", "CA", "920541234", "7605550199", "biller-9", 3)
    assert set_provider(billing, day=dt.date(2026, 3, 1), request_id="bp-1") == first  # retry
    # Only the phone from May on: the other fields come from the version in force then.
    phone_only = msg.BillingProvider(name="billingProvider", phone="7605550123")
    later = set_provider(billing, phone_only, paths=["phone"], day=dt.date(2026, 5, 1))
    assert (later.organization_name, later.npi, later.phone) == \
        ("Coastal Mind Clinics", "9876543213", "7605550123")
    assert get_provider(billing, dt.date(2026, 2, 1)).version == ""  # the settings before
    assert get_provider(billing, dt.date(2026, 4, 1)).version == first.version
    assert get_provider(billing, dt.date(2026, 5, 2)).phone == "7605550123"
    versions = billing.providers.ListBillingProviderVersions(
        pb.ListBillingProviderVersionsRequest(page_size=1), metadata=AS_BILLING)
    assert [v.version for v in versions.billing_providers] == [first.version]
    rest = billing.providers.ListBillingProviderVersions(pb.ListBillingProviderVersionsRequest(
        page_size=5, page_token=versions.next_page_token), metadata=AS_BILLING)
    assert [v.version for v in rest.billing_providers] == [later.version]  # history stays


def test_the_837p_goes_out_from_the_version_in_force_and_names_the_rendering_provider(clinic):
    old = export(clinic, ready(clinic, draft(clinic, "p1", "a1")))
    assert old.billing_provider_version == ""  # the settings'
    assert "NM1*82*1*DR-LEE*****XX*1234567893~" in old.content.decode()
    version = set_provider(clinic).version  # from today on
    made = add_rendering(clinic)
    assert (made.name, made.npi, made.update_staff_id) == \
        ("renderingProviders/dr-lee", "1111111112", "biller-9")
    batch = export(clinic, ready(clinic, draft(clinic, "p2", "a2")))
    assert_valid_837(batch.content)
    text = batch.content.decode()
    assert batch.billing_provider_version == version
    for segment in ("PRV*BI*PXC*261QM0801X~", "NM1*85*2*COASTAL MIND CLINICS*****XX*9876543213~",
                    "N3*200 OCEAN ST~", "N4*OCEANSIDE*CA*920541234~", "REF*EI*987654321~",
                    "TE*7605550199~", "NM1*82*1*LEE*ANNA****XX*1111111112~",
                    "PRV*PE*PXC*2084P0800X~"):
        assert segment in text, segment
    assert "CLINIC GROUP" not in text and "1234567893" not in text
    # The first batch keeps what it was sent with.
    assert "NM1*85*2*CLINIC GROUP" in old.content.decode()


def test_a_rendering_provider_kept_over_the_api_lets_a_claim_go_ready(clinic):
    visit = completed("a3", "p1", DAY + dt.timedelta(days=1), ("99213", 1))
    visit.rendering_provider_id = "dr-new"  # no NPI in the settings
    clinic.deliver(visit)
    claim = draft(clinic, "p1", "a3")
    assert reason(refused(lambda: ready(clinic, claim))) == "CLAIM_NOT_READY"
    add_rendering(clinic, "dr-new", msg.RenderingProvider(
        first_name="Sam", last_name="Ng", npi="2222222228"))
    assert ready(clinic, claim).state == claim_pb2.CLAIM_STATE_READY
    batch = export(clinic, claim)
    assert_valid_837(batch.content)
    assert "NM1*82*1*NG*SAM****XX*2222222228~" in batch.content.decode()
    changed = clinic.providers.UpdateRenderingProvider(pb.UpdateRenderingProviderRequest(
        rendering_provider=msg.RenderingProvider(name="renderingProviders/dr-new",
                                                 credentials="PMHNP-BC"),
        update_mask=FieldMask(paths=["credentials"])), metadata=AS_BILLING).rendering_provider
    assert (changed.first_name, changed.credentials) == ("Sam", "PMHNP-BC")
    listed = clinic.providers.ListRenderingProviders(pb.ListRenderingProvidersRequest(),
                                                     metadata=AS_BILLING).rendering_providers
    assert [r.name for r in listed] == ["renderingProviders/dr-new"]


def test_a_superbill_is_headed_by_the_provider_set_over_the_api(start_billing):
    billing = start_billing()  # no settings: the superbill is not ready
    billing.register("p1")
    billing.deliver(completed("a1", "p1", dt.date(2026, 3, 2), ("99213", 1)))

    def superbill():
        return billing.accounts.GetSuperbill(account_pb.GetSuperbillRequest(
            name="accounts/p1", start_date=date(dt.date(2026, 3, 1)),
            end_date=date(dt.date(2026, 3, 31))), metadata=AS_BILLING)

    assert error_metadata(refused(superbill))["problem"] == "BILLING_PROVIDER_INCOMPLETE"
    set_provider(billing, day=dt.date(2026, 1, 1))
    assert error_metadata(refused(superbill))["problem"] == "RENDERING_NPI_MISSING"
    add_rendering(billing)
    bill = superbill()
    assert (bill.billing_provider_name, bill.billing_provider_npi, bill.billing_provider_tax_id,
            bill.lines[0].rendering_provider_npi, bill.lines[0].rendering_provider_name) == \
        ("Coastal Mind Clinics", "9876543213", "987654321", "1111111112", "Anna Lee, MD")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bill.pdf)).pages)
    assert "Coastal Mind Clinics" in text and "200 Ocean St, Oceanside, CA 92054-1234" in text
    assert "Anna Lee, MD: NPI 1111111112" in text


def test_bad_provider_changes_are_refused_and_change_nothing(start_billing):
    billing = start_billing(**PROVIDER)
    add_rendering(billing)
    before = row_counts(billing.runtime)

    def bad(**fields):
        provider = msg.BillingProvider()
        provider.CopyFrom(NEW)
        for name, value in fields.items():
            setattr(provider, name, value)
        return lambda: set_provider(billing, provider)

    bad_zip = msg.BillingProvider()
    bad_zip.CopyFrom(NEW)
    bad_zip.address.postal_code = "92054"
    cases = [
        (bad(npi="9876543210"), "INVALID_FIELD", "billing_provider.npi"),  # Luhn fails
        (bad(npi="98765"), "INVALID_FIELD", "billing_provider.npi"),
        (bad(tax_id="12-345"), "INVALID_FIELD", "billing_provider.tax_id"),
        (bad(taxonomy_code="261Q"), "INVALID_FIELD", "billing_provider.taxonomy_code"),
        (bad(organization_name=""), "INVALID_FIELD", "billing_provider.organization_name"),
        (bad(phone="555-01"), "INVALID_FIELD", "billing_provider.phone"),
        (lambda: set_provider(billing, bad_zip), "INVALID_FIELD",
         "billing_provider.address.postal_code"),
        (bad(name="billingProviders/1"), "INVALID_FIELD", "billing_provider.name"),
        (lambda: set_provider(billing, paths=["version"]), "INVALID_FIELD", "update_mask"),
        (lambda: set_provider(billing, paths=[]), "INVALID_FIELD", "update_mask"),
        (lambda: set_provider(billing, metadata=auth.metadata(Role.FRONT_DESK)),
         "ROLE_NOT_ALLOWED", None),
        (lambda: add_rendering(billing), "RENDERING_PROVIDER_ALREADY_EXISTS", None),
        (lambda: add_rendering(billing, "dr-x", msg.RenderingProvider(
            first_name="A", last_name="B", npi="1111111111")), "INVALID_FIELD",
         "rendering_provider.npi"),
        (lambda: add_rendering(billing, "bad id", LEE), "INVALID_FIELD",
         "rendering_provider_id"),
        (lambda: billing.providers.GetRenderingProvider(pb.GetRenderingProviderRequest(
            name="renderingProviders/nobody"), metadata=AS_BILLING),
         "RENDERING_PROVIDER_NOT_FOUND", None),
        (lambda: billing.providers.UpdateRenderingProvider(pb.UpdateRenderingProviderRequest(
            rendering_provider=msg.RenderingProvider(name="renderingProviders/dr-lee",
                                                     npi="1111111111"),
            update_mask=FieldMask(paths=["npi"])), metadata=AS_BILLING), "INVALID_FIELD",
         "rendering_provider.npi"),
        (lambda: billing.providers.UpdateRenderingProvider(pb.UpdateRenderingProviderRequest(
            rendering_provider=msg.RenderingProvider(name="renderingProviders/nobody",
                                                     npi="1111111112"),
            update_mask=FieldMask(paths=["npi"])), metadata=AS_BILLING),
         "RENDERING_PROVIDER_NOT_FOUND", None),
        (lambda: billing.providers.GetBillingProvider(pb.GetBillingProviderRequest(
            name="billingProvider"), metadata=auth.metadata(Role.FRONT_DESK)),
         "ROLE_NOT_ALLOWED", None),
    ]
    for call, why, field in cases:
        error = refused(call)
        assert reason(error) == why, (why, field, error.details())
        if field:
            assert error_metadata(error)["field"] == field
    assert row_counts(billing.runtime) == before
    got = billing.providers.GetRenderingProvider(pb.GetRenderingProviderRequest(
        name="renderingProviders/dr-lee"), metadata=AS_BILLING).rendering_provider
    assert got.npi == "1111111112"  # the refused change left it as it was
