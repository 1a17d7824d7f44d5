"""A billing server on a real socket, on SQLite and PostgreSQL, and its event processor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import grpc
import pytest
from clinic.billing.v1 import (
    account_service_pb2_grpc,
    charge_service_pb2_grpc,
    claim_service_pb2_grpc,
    fee_schedule_service_pb2_grpc,
    payer_pb2,
    payer_service_pb2_grpc,
    payment_service_pb2_grpc,
    prior_authorization_service_pb2_grpc,
    provider_service_pb2_grpc,
    remittance_service_pb2_grpc,
    report_service_pb2_grpc,
)
from clinic.billing.v1 import payer_service_pb2 as payer_service_pb
from clinic.intake.v1 import events_pb2 as intake
from clinic_billing.bootstrap import add_services, build_spec
from clinic_billing.config import BillingSettings
from clinic_common.config import KafkaSettings
from clinic_common.consumer import EventProcessor
from clinic_common.publisher import InMemoryPublisher
from clinic_common.runtime import Runtime
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import migrated
from sqlalchemy import insert

from tests.billing import support
from tests.billing.flow import AS_BILLING, DAY, draft, export, ready
from tests.billing.support import PROVIDER, completed
from tests.conftest import service_database_url


@dataclass
class Billing:
    """The stubs of billing's services, the runtime behind them, and a processor that
    feeds it events."""

    accounts: account_service_pb2_grpc.AccountServiceStub
    charges: charge_service_pb2_grpc.ChargeServiceStub
    claims: claim_service_pb2_grpc.ClaimServiceStub
    fee_schedule: fee_schedule_service_pb2_grpc.FeeScheduleServiceStub
    payers: payer_service_pb2_grpc.PayerServiceStub
    runtime: Runtime
    processor: EventProcessor
    dead_letters: InMemoryPublisher
    channel: grpc.Channel | None = None

    @property
    def remittances(self) -> remittance_service_pb2_grpc.RemittanceServiceStub:
        return remittance_service_pb2_grpc.RemittanceServiceStub(self.channel)

    @property
    def payments(self) -> payment_service_pb2_grpc.PaymentServiceStub:
        return payment_service_pb2_grpc.PaymentServiceStub(self.channel)

    @property
    def authorizations(self) -> prior_authorization_service_pb2_grpc.PriorAuthorizationServiceStub:
        return prior_authorization_service_pb2_grpc.PriorAuthorizationServiceStub(self.channel)

    @property
    def providers(self) -> provider_service_pb2_grpc.ProviderServiceStub:
        return provider_service_pb2_grpc.ProviderServiceStub(self.channel)

    @property
    def reports(self) -> report_service_pb2_grpc.ReportServiceStub:
        return report_service_pb2_grpc.ReportServiceStub(self.channel)

    def deliver(self, message, **kwargs) -> str:
        return self.processor.process(support.record(message, **kwargs))

    def register(self, patient_id: str) -> None:
        assert self.deliver(intake.PatientRegistered(patient_id=patient_id)) == "handled"

    def cover(self, patient_id: str, coverage_id: str, payer_id: str, *, priority: int = 1,
              effective: dt.date = dt.date(2025, 1, 1), end: dt.date | None = None,
              plan_type: str = "PPO") -> None:
        event = intake.CoverageAdded(patient_id=patient_id, coverage_id=coverage_id,
                                     payer_id=payer_id, member_id="M-1", priority=priority,
                                     effective_date=support.date(effective), plan_type=plan_type)
        if end is not None:
            event.end_date.CopyFrom(support.date(end))
        assert self.deliver(event) == "handled"

    def contract(self, code: str, payer_id: str, allowed_cents: int) -> None:
        """A payer's contracted rate without modifier or dates, as the clinic's data holds it
        (the API path is in test_contracted_rates.py)."""
        table = self.runtime.spec.metadata.tables["contracted_rates"]
        with self.runtime.session_factory() as session:
            session.execute(insert(table).values(
                rate_id=f"{code}-{payer_id}", procedure_code=code, payer_id=payer_id, modifier="",
                allowed_cents=allowed_cents, updated_by="test"))
            session.commit()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Billing's own database, on SQLite and on PostgreSQL."""
    return service_database_url(request, tmp_path, build_spec())


@pytest.fixture
def start_billing(database_url):
    """Starts billing with settings of the test's choosing; stops everything afterwards."""
    started = []

    def start(**overrides) -> Billing:
        settings = BillingSettings(database_url=database_url, **overrides)
        spec = build_spec(settings)
        runtime = Runtime(spec, settings, KafkaSettings(), publisher=InMemoryPublisher())
        migrated(runtime)
        host = ServiceHost("billing", host="127.0.0.1", port=0,
                           edge=runtime.edge(auth.verifier()))
        add_services(host, runtime)
        host.start()
        channel = auth.authorized(grpc.insecure_channel(f"127.0.0.1:{host.port}"))
        dead_letters = InMemoryPublisher()
        processor = EventProcessor(spec.name, spec.registry, spec.handlers, runtime.uow,
                                   dead_letters, max_attempts=2, retry_backoff=0)
        started.append((channel, host, runtime))
        return Billing(account_service_pb2_grpc.AccountServiceStub(channel),
                       charge_service_pb2_grpc.ChargeServiceStub(channel),
                       claim_service_pb2_grpc.ClaimServiceStub(channel),
                       fee_schedule_service_pb2_grpc.FeeScheduleServiceStub(channel),
                       payer_service_pb2_grpc.PayerServiceStub(channel),
                       runtime, processor, dead_letters, channel)

    yield start
    for channel, host, runtime in started:
        channel.close()
        host.stop()
        runtime.close()


@pytest.fixture
def billing(start_billing) -> Billing:
    return start_billing()


@pytest.fixture
def clinic(start_billing):
    billing = start_billing(**PROVIDER)
    billing.payers.CreatePayer(payer_service_pb.CreatePayerRequest(payer_id="60054", payer=payer_pb2.Payer(
        display_name="Aetna", kind=payer_pb2.PAYER_KIND_COMMERCIAL)), metadata=AS_BILLING)
    for code, cents in (("99213", 10000), ("90867", 37000), ("90868", 15000)):
        billing.contract(code, "60054", cents)
    for patient in ("p1", "p2"):
        billing.register(patient)
        billing.cover(patient, f"cov-{patient}", "60054")
    billing.deliver(completed("a1", "p1", DAY, ("99213", 1), ("90867", 1)))
    billing.deliver(completed("a2", "p2", DAY, ("90868", 1)))
    return billing


@pytest.fixture
def sent(clinic):
    """Three submitted claims: p1 (99213 + 90867), p2 (90868), p3 (99214)."""
    clinic.register("p3")
    clinic.cover("p3", "cov-p3", "60054")
    clinic.deliver(completed("a3", "p3", DAY, ("99214", 1)))
    claims = [ready(clinic, draft(clinic, p, a)) for p, a in (("p1", "a1"), ("p2", "a2"),
                                                               ("p3", "a3"))]
    export(clinic, *claims)
    charges = {c.claim_id: [n.rsplit("/", 1)[1] for n in c.charges] for c in claims}
    return clinic, claims, charges
