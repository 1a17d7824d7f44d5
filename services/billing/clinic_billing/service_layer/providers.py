"""What the billing team does to the provider identities: set the billing provider from
a date on (a new version, never an edit), record and change rendering providers; and
which billing provider a claim or superbill uses on a date.

The BILLING_PROVIDER_* settings are the billing provider for dates before its first
version (an install that set none keeps working as before), and the settings'
BILLING_RENDERING_PROVIDER_NPIS give the NPI of a staff id with no rendering provider
kept here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from clinic_common import keyset
from clinic_common.runner import NO_KEY, Change, RequestKey, Runner

from clinic_billing.domain import errors
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.domain.provider import BillingProviderVersion, RenderingProvider, effective
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

Billing = Runner[BillingUnitOfWork]
PROVIDER_FIELDS = ("organization_name", "npi", "tax_id", "taxonomy_code", "address", "phone")
RENDERING_FIELDS = ("first_name", "last_name", "credentials", "npi", "taxonomy_code")
_STAFF_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def in_force(uow: BillingUnitOfWork, fallback: BillingProvider, day: dt.date) -> BillingProvider:
    """The billing provider for ``day`` (the settings' before any version), with the
    rendering providers kept."""
    return effective(fallback, uow.providers.version_in_force(day),
                     uow.providers.all_rendering())


@dataclass(frozen=True)
class ProviderView:
    version: BillingProviderVersion | None  # None: the settings' (``settings``)
    settings: BillingProvider


def _settings_version(fallback: BillingProvider) -> dict[str, str]:
    street, city, state, postal = fallback.postal_address() or ("", "", "", "")
    return dict(organization_name=fallback.name, npi=fallback.npi, tax_id=fallback.tax_id,
                taxonomy_code=fallback.taxonomy_code, street=street, city=city, state=state,
                postal_code=postal, phone=fallback.phone)


@dataclass(frozen=True)
class UpdateBillingProvider:
    changes: dict[str, str]  # the masked fields; "address" as street, city, state, postal_code
    effective_from: dt.date | None = None  # today when None
    key: RequestKey = NO_KEY


def update_billing_provider(cmd: UpdateBillingProvider, fallback: BillingProvider,
                            runner: Billing, today: Callable[[dt.datetime], dt.date]) -> str:
    """Adds a version from its date on, the unmasked fields copied from the one in force
    then (or the settings); returns its id."""
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        day = cmd.effective_from or today(c.now)
        current = uow.providers.version_in_force(day)
        values = ({f.name: getattr(current, f.name) for f in dataclasses.fields(current)
                   if f.name in _VERSION_FIELDS} if current is not None
                  else _settings_version(fallback))
        values.update(cmd.changes)
        version = BillingProviderVersion(**values, effective_from=day, created_at=c.now,
                                         created_by=c.actor)
        uow.providers.add_version(version)
        return version.version_id

    return runner.change("UpdateBillingProvider", cmd.key, action)


_VERSION_FIELDS = ("organization_name", "npi", "tax_id", "taxonomy_code", "street", "city",
                   "state", "postal_code", "phone")


def get_billing_provider(fallback: BillingProvider, day: dt.date | None, runner: Billing,
                         today: Callable[[dt.datetime], dt.date]) -> ProviderView:
    def query(uow: BillingUnitOfWork) -> ProviderView:
        return ProviderView(uow.providers.version_in_force(day or today(runner.clock())),
                            fallback)

    return runner.read(query)


def get_version(version_id: str, fallback: BillingProvider, runner: Billing) -> ProviderView:
    return runner.read(lambda uow: ProviderView(uow.providers.version(version_id), fallback))


def list_versions(runner: Billing, *, limit: int, after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.providers.versions(limit=limit, after=after))


@dataclass(frozen=True)
class CreateRenderingProvider:
    staff_id: str
    first_name: str
    last_name: str
    credentials: str
    npi: str
    taxonomy_code: str
    key: RequestKey = NO_KEY


def create_rendering_provider(cmd: CreateRenderingProvider, runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        if not _STAFF_ID.fullmatch(cmd.staff_id):
            raise errors.field("rendering_provider_id",
                               "must be 1-64 letters, digits, _ . - (the staff id)")
        provider = RenderingProvider(
            staff_id=cmd.staff_id, first_name=cmd.first_name, last_name=cmd.last_name,
            credentials=cmd.credentials, npi=cmd.npi, taxonomy_code=cmd.taxonomy_code,
            created_at=c.now, updated_at=c.now, updated_by=c.actor)
        if uow.providers.rendering(cmd.staff_id, for_update=True) is not None:
            raise errors.RenderingProviderAlreadyExists(cmd.staff_id)
        uow.providers.add_rendering(provider)
        return provider.staff_id

    return runner.change("CreateRenderingProvider", cmd.key, action)


def update_rendering_provider(staff_id: str, changes: dict[str, str], key: RequestKey,
                              runner: Billing) -> str:
    def action(uow: BillingUnitOfWork, c: Change) -> str:
        provider = uow.providers.rendering(staff_id, for_update=True)
        if provider is None:
            raise errors.RenderingProviderNotFound(staff_id)
        provider.change(changes, actor=c.actor, now=c.now)
        return staff_id

    return runner.change("UpdateRenderingProvider", key, action)


def get_rendering_provider(staff_id: str, runner: Billing) -> RenderingProvider:
    def query(uow: BillingUnitOfWork) -> RenderingProvider:
        provider = uow.providers.rendering(staff_id)
        if provider is None:
            raise errors.RenderingProviderNotFound(staff_id)
        return provider

    return runner.read(query)


def list_rendering_providers(runner: Billing, *, limit: int, after: list | None) -> keyset.Page:
    return runner.read(lambda uow: uow.providers.list_rendering(limit=limit, after=after))
