"""Wires billing: its spec for the shared runtime, and its gRPC services."""

from pathlib import Path

from clinic.billing.v1 import (
    account_service_pb2_grpc,
    charge_service_pb2_grpc,
    claim_service_pb2_grpc,
    fee_schedule_service_pb2_grpc,
    payer_service_pb2_grpc,
    payment_service_pb2_grpc,
    prior_authorization_service_pb2_grpc,
    provider_service_pb2_grpc,
    remittance_service_pb2_grpc,
    report_service_pb2_grpc,
)
from clinic.intake.v1 import events_pb2 as intake_events
from clinic.scheduling.v1 import events_pb2 as scheduling_events
from clinic_common.config import load
from clinic_common.envelope import EventRegistry
from clinic_common.runtime import Runtime, ServiceSpec
from clinic_common.server import ServiceHost

from clinic_billing.adapters import orm
from clinic_billing.config import BillingSettings
from clinic_billing.entrypoints.account_api import AccountServicer
from clinic_billing.entrypoints.charge_api import ChargeServicer
from clinic_billing.entrypoints.claim_api import ClaimServicer
from clinic_billing.entrypoints.deps import Deps
from clinic_billing.entrypoints.events import build_handlers
from clinic_billing.entrypoints.fee_schedule_api import FeeScheduleServicer
from clinic_billing.entrypoints.payer_api import PayerServicer
from clinic_billing.entrypoints.payment_api import PaymentServicer
from clinic_billing.entrypoints.permissions import PERMISSIONS
from clinic_billing.entrypoints.prior_authorization_api import PriorAuthorizationServicer
from clinic_billing.entrypoints.provider_api import ProviderServicer
from clinic_billing.entrypoints.remittance_api import RemittanceServicer
from clinic_billing.entrypoints.report_api import ReportServicer
from clinic_billing.service_layer.unit_of_work import BillingUnitOfWork

TOPIC = "clinic.billing.v1"
CONSUMES = ["clinic.intake.v1", "clinic.scheduling.v1"]

# Each gRPC service by name: its generated module and its servicer.
SERVICERS = {
    "AccountService": (account_service_pb2_grpc, AccountServicer),
    "ChargeService": (charge_service_pb2_grpc, ChargeServicer),
    "ClaimService": (claim_service_pb2_grpc, ClaimServicer),
    "FeeScheduleService": (fee_schedule_service_pb2_grpc, FeeScheduleServicer),
    "PayerService": (payer_service_pb2_grpc, PayerServicer),
    "PaymentService": (payment_service_pb2_grpc, PaymentServicer),
    "PriorAuthorizationService": (prior_authorization_service_pb2_grpc,
                                  PriorAuthorizationServicer),
    "ProviderService": (provider_service_pb2_grpc, ProviderServicer),
    "RemittanceService": (remittance_service_pb2_grpc, RemittanceServicer),
    "ReportService": (report_service_pb2_grpc, ReportServicer),
}


def build_spec(settings: BillingSettings | None = None) -> ServiceSpec:
    """The spec; its event handlers apply the policy of ``settings`` (the environment's by default)."""
    settings = settings or load(BillingSettings)
    orm.start_mappers()
    return ServiceSpec(
        name="billing", topic=TOPIC, metadata=orm.metadata,
        migrations_dir=Path(__file__).parent / "migrations", uow_class=BillingUnitOfWork,
        consumes=list(CONSUMES), registry=EventRegistry(intake_events, scheduling_events),
        handlers=build_handlers(settings.policy),
        # An account is named after its patient: accounts/{patient}.
        patient_collections=("patients", "accounts"),
    )


def add_services(host: ServiceHost, runtime: Runtime) -> None:
    settings = runtime.settings
    if not isinstance(settings, BillingSettings):
        settings = load(BillingSettings)
    deps = Deps(runner=runtime.runner, policy=settings.policy,
                provider=settings.billing_provider, envelope=settings.x12_envelope)
    for descriptor, rules in PERMISSIONS.items():
        generated, servicer = SERVICERS[descriptor.name]
        register = getattr(generated, f"add_{descriptor.name}Servicer_to_server")
        host.add_service(register, servicer(deps), descriptor, rules)
