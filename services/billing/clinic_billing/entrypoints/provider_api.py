"""ProviderService over gRPC (the billing provider's versions and the rendering
providers): translate requests to commands, results to messages. No rules here."""

from __future__ import annotations

from clinic.billing.v1 import provider_pb2 as msg
from clinic.billing.v1 import provider_service_pb2 as pb
from clinic.billing.v1 import provider_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import fill_date, timestamp, to_date
from clinic_common.runner import RequestKey

from clinic_billing.domain.provider import RenderingProvider
from clinic_billing.entrypoints import convert as cv
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.service_layer import providers
from clinic_billing.service_layer.providers import (
    PROVIDER_FIELDS,
    RENDERING_FIELDS,
    ProviderView,
)


class ProviderServicer(pb_grpc.ProviderServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.settings = deps.provider
        self.today = deps.policy.today

    def GetBillingProvider(self, request, context):
        _singleton(request.name, "name")
        day = to_date(request.as_of, "as_of", required=False)
        view = providers.get_billing_provider(self.settings, day, self.runner, self.today)
        return pb.GetBillingProviderResponse(billing_provider=billing_provider_to_proto(view))

    def UpdateBillingProvider(self, request, context):
        given = request.billing_provider
        _singleton(given.name, "billing_provider.name")
        paths = cv.mask_paths(request.update_mask.paths, PROVIDER_FIELDS)
        changes: dict[str, str] = {}
        for path in paths:
            if path == "address":
                changes.update(street=given.address.street, city=given.address.city,
                               state=given.address.state,
                               postal_code=given.address.postal_code)
            else:
                changes[path] = getattr(given, path)
        version_id = providers.update_billing_provider(providers.UpdateBillingProvider(
            changes=changes,
            effective_from=to_date(request.effective_date, "effective_date", required=False),
            key=RequestKey.of(request)), self.settings, self.runner, self.today)
        view = providers.get_version(version_id, self.settings, self.runner)
        return pb.UpdateBillingProviderResponse(billing_provider=billing_provider_to_proto(view))

    def ListBillingProviderVersions(self, request, context):
        want = paging.page_request(request)
        page = providers.list_versions(self.runner, limit=want.size, after=want.after)
        return pb.ListBillingProviderVersionsResponse(
            billing_providers=[billing_provider_to_proto(ProviderView(v, self.settings))
                               for v in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def CreateRenderingProvider(self, request, context):
        if not request.HasField("rendering_provider"):
            raise FieldViolation("rendering_provider", "is required")
        r = request.rendering_provider
        staff_id = providers.create_rendering_provider(providers.CreateRenderingProvider(
            staff_id=request.rendering_provider_id, first_name=r.first_name,
            last_name=r.last_name, credentials=r.credentials, npi=r.npi,
            taxonomy_code=r.taxonomy_code, key=RequestKey.of(request)), self.runner)
        return pb.CreateRenderingProviderResponse(rendering_provider=self._rendering(staff_id))

    def GetRenderingProvider(self, request, context):
        staff_id = cv.RENDERING_PROVIDER.parse_one(request.name)
        return pb.GetRenderingProviderResponse(rendering_provider=self._rendering(staff_id))

    def ListRenderingProviders(self, request, context):
        want = paging.page_request(request)
        page = providers.list_rendering_providers(self.runner, limit=want.size,
                                                  after=want.after)
        return pb.ListRenderingProvidersResponse(
            rendering_providers=[rendering_to_proto(r) for r in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdateRenderingProvider(self, request, context):
        given = request.rendering_provider
        staff_id = cv.RENDERING_PROVIDER.parse_one(given.name, "rendering_provider.name")
        paths = cv.mask_paths(request.update_mask.paths, RENDERING_FIELDS)
        providers.update_rendering_provider(
            staff_id, {path: getattr(given, path) for path in paths}, RequestKey.of(request),
            self.runner)
        return pb.UpdateRenderingProviderResponse(rendering_provider=self._rendering(staff_id))

    def _rendering(self, staff_id: str) -> msg.RenderingProvider:
        return rendering_to_proto(providers.get_rendering_provider(staff_id, self.runner))


def _singleton(name: str, field_name: str) -> None:
    if name != cv.BILLING_PROVIDER:
        raise FieldViolation(field_name, f"must be {cv.BILLING_PROVIDER!r}")


def billing_provider_to_proto(view: ProviderView) -> msg.BillingProvider:
    v = view.version
    if v is None:  # the settings'
        s = view.settings
        street, city, state, postal = s.postal_address() or ("", "", "", "")
        return msg.BillingProvider(
            name=cv.BILLING_PROVIDER, organization_name=s.name, npi=s.npi, tax_id=s.tax_id,
            taxonomy_code=s.taxonomy_code, phone=s.phone,
            address=msg.ProviderAddress(street=street, city=city, state=state,
                                        postal_code=postal))
    message = msg.BillingProvider(
        name=cv.BILLING_PROVIDER, organization_name=v.organization_name, npi=v.npi,
        tax_id=v.tax_id, taxonomy_code=v.taxonomy_code, phone=v.phone,
        address=msg.ProviderAddress(street=v.street, city=v.city, state=v.state,
                                    postal_code=v.postal_code),
        version=cv.billing_provider_version(v.version_id),
        create_time=timestamp(v.created_at), create_staff_id=v.created_by)
    fill_date(message.effective_date, v.effective_from)
    return message


def rendering_to_proto(r: RenderingProvider) -> msg.RenderingProvider:
    return msg.RenderingProvider(
        name=cv.RENDERING_PROVIDER.format(r.staff_id), first_name=r.first_name,
        last_name=r.last_name, credentials=r.credentials, npi=r.npi,
        taxonomy_code=r.taxonomy_code, create_time=timestamp(r.created_at),
        update_time=timestamp(r.updated_at), update_staff_id=r.updated_by)
