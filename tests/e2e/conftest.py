"""The three services as separate processes on PostgreSQL and a real broker."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import pytest
from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import account_service_pb2_grpc as account_grpc
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import charge_service_pb2_grpc as charge_grpc
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
from clinic.intake.v1 import patient_pb2
from clinic.scheduling.v1 import (
    appointment_service_pb2_grpc,
    location_service_pb2_grpc,
    visit_service_pb2_grpc,
)
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.clocked import write_offset
from clinic_devtools.testing.processes import ServiceProcess

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "scheduling", "billing")


def eventually(check, timeout: float = 40.0, interval: float = 0.2):
    """Call ``check`` until it returns a truthy value (errors count as not yet)."""
    end, last = time.monotonic() + timeout, None
    while time.monotonic() < end:
        try:
            value = check()
            if value:
                return value
        except grpc.RpcError as error:
            last = error
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s; last error: {last}")


class Stack:
    """Intake, scheduling and billing processes sharing one broker and topic prefix."""

    def __init__(self, postgres_databases, kafka_settings, log_dir: Path):
        self.kafka = kafka_settings
        self.log_dir = log_dir
        self.env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
            "KAFKA_MAX_POLL_INTERVAL_MS": "5000", "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "1000", "KAFKA_REQUEST_TIMEOUT_MS": "10000",
            "KAFKA_RELAY_POLL_INTERVAL_MS": "100", "KAFKA_RELAY_MAX_BACKOFF_MS": "1000",
            "KAFKA_CONSUMER_RETRY_BACKOFF_MS": "50", "KAFKA_CONSUMER_MAX_ATTEMPTS": "3",
            "KAFKA_RELAY_LOSS_CHECK_INTERVAL_MS": "1000",
            # The billing provider claims go out from (1234567893 is CMS's example NPI).
            "BILLING_PROVIDER_NAME": "Clinic Group", "BILLING_PROVIDER_NPI": "1234567893",
            "BILLING_PROVIDER_TAX_ID": "12-3456789",
            "BILLING_PROVIDER_ADDRESS": "100 Grand Ave, Carlsbad, CA 92008",
            "BILLING_RENDERING_PROVIDER_NPIS": '{"dr-lee": "1234567893"}',
        }
        self.urls = {name: postgres_databases.create(name) for name in SERVICES}
        self.scheduling_clock = log_dir / "scheduling-clock-offset"
        self.processes = {name: self._process(name) for name in SERVICES}
        self.channels: dict[str, grpc.Channel] = {}

    def _process(self, name: str, port: int | None = None) -> ServiceProcess:
        env = {**self.env, f"{name.upper()}_DATABASE_URL": self.urls[name],
               f"{name.upper()}_SHUTDOWN_GRACE_SECONDS": "5"}
        clock = self.scheduling_clock if name == "scheduling" else None
        return ServiceProcess(name, env, self.log_dir, port=port, clock_offset_file=clock)

    @contextlib.contextmanager
    def scheduling_time(self, moment: dt.datetime):
        """Scheduling's clock at ``moment`` (later than now) for the block, then the wall
        clock again: to run the visit day of an appointment booked ahead."""
        write_offset(self.scheduling_clock, moment - dt.datetime.now(dt.UTC))
        try:
            yield
        finally:
            write_offset(self.scheduling_clock, dt.timedelta(0))

    def start(self) -> Stack:
        for process in self.processes.values():
            process.launch()
        for process in self.processes.values():
            process.wait_serving(60)
        self.channels = {name: p.channel() for name, p in self.processes.items()}
        return self

    def restart(self, name: str) -> None:
        """Start a service again on the same port and database (after a kill)."""
        old = self.processes[name]
        self.processes[name] = self._process(name, port=old.port).start(60)

    def stop(self) -> None:
        for channel in self.channels.values():
            channel.close()
        for process in self.processes.values():
            process.terminate()

    @property
    def intake(self):
        return intake_grpc.IntakeServiceStub(self.channels["intake"])

    @property
    def locations(self):
        return location_service_pb2_grpc.LocationServiceStub(self.channels["scheduling"])

    @property
    def appointments(self):
        return appointment_service_pb2_grpc.AppointmentServiceStub(self.channels["scheduling"])

    @property
    def visits(self):
        return visit_service_pb2_grpc.VisitServiceStub(self.channels["scheduling"])

    @property
    def account_stub(self):
        return account_grpc.AccountServiceStub(self.channels["billing"])

    @property
    def charge_stub(self):
        return charge_grpc.ChargeServiceStub(self.channels["billing"])

    def apply_locations(self) -> list[str]:
        from clinic_scheduling.apply_locations import apply_files

        return apply_files(self.processes["scheduling"].address,
                           sorted((REPO / "deploy" / "locations").glob("*.yaml")),
                           auth.token(Role.OPS, sub="ops-1"))

    def closures(self, location_id: str) -> frozenset:
        from clinic.scheduling.v1 import location_service_pb2 as loc_pb

        location = self.locations.GetLocation(
            loc_pb.GetLocationRequest(name=f"locations/{location_id}")).location
        return frozenset(dt.date(c.date.year, c.date.month, c.date.day) for c in location.closures)

    def register_patient(self, **fields) -> patient_pb2.Patient:
        patient = patient_pb2.Patient(given_name="Test", family_name=f"P{uuid.uuid4().hex[:6]}",
                                      **fields)
        patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = \
            1980, 1, 2
        return self.intake.CreatePatient(intake_pb.CreatePatientRequest(patient=patient)).patient

    def account(self, patient_id: str):
        return self.account_stub.GetAccount(
            account_pb.GetAccountRequest(name=f"accounts/{patient_id}")).account

    def charges(self, patient_id: str) -> list:
        found, token = [], ""
        while True:
            page = self.charge_stub.ListCharges(charge_pb.ListChargesRequest(
                parent=f"accounts/{patient_id}", page_size=200, page_token=token))
            found += list(page.charges)
            token = page.next_page_token
            if not token:
                return found


def next_open_time(hour: int, days_ahead: int = 1, closed: frozenset = frozenset(),
                   tz: str = "America/Los_Angeles") -> dt.datetime:
    """A time in office hours on a coming weekday that is not a closure date, in UTC."""
    day = dt.datetime.now(ZoneInfo(tz)).date() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), ZoneInfo(tz)).astimezone(dt.UTC)


@pytest.fixture
def stack(postgres_databases, kafka_settings, tmp_path):
    running = Stack(postgres_databases, kafka_settings, tmp_path).start()
    yield running
    running.stop()
    for process in running.processes.values():  # shown by pytest when the test failed
        lines = [line for line in process.log_tail(5000).splitlines() if '"msg": "rpc"' not in line]
        print(f"--- {process.service} log, without per-call lines ---")
        print("\n".join(lines[-150:]))
