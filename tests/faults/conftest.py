"""The fault scenarios: the services as processes on PostgreSQL and the broker, driven by
clients under load while something fails, and a table of what each did and counted."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import grpc
import pytest
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
from clinic.intake.v1 import patient_pb2
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Stack

ROWS: list[tuple[str, str, str, str]] = []
DESK = auth.metadata(Role.FRONT_DESK, sub="desk-load", locations=("la-jolla",))
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    width = [max(len(r[i]) for r in [("scenario", "did", "counted", "result"), *ROWS])
             for i in range(4)]
    line = " | ".join(f"{{:<{w}}}" for w in width)
    terminalreporter.write_sep("=", "fault scenarios")
    terminalreporter.write_line(line.format("scenario", "did", "counted", "result"))
    terminalreporter.write_line("-+-".join("-" * w for w in width))
    for row in ROWS:
        terminalreporter.write_line(line.format(*row))


@pytest.fixture
def report(request):
    """``report(did, counted)`` adds the scenario's row to the table printed at the end."""
    rows = []
    yield lambda did, counted: rows.append((did, counted))
    outcome = "passed" if not getattr(request.node, "failed_here", False) else "FAILED"
    for did, counted in rows:
        ROWS.append((request.node.name.removeprefix("test_"), did, counted, outcome))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if outcome.get_result().failed:
        item.failed_here = True


@pytest.fixture
def stack(postgres_databases, kafka_settings, tmp_path):
    running = Stack(postgres_databases, kafka_settings, tmp_path).start()
    yield running
    running.stop()


@dataclass
class Outcome:
    started: float
    finished: float
    code: grpc.StatusCode
    tries: int
    result: object = None
    first_code: grpc.StatusCode = grpc.StatusCode.OK
    first_finished: float = 0.0


@dataclass
class Load:
    """Clients calling ``call(n)`` in threads until told to stop; each call retries
    UNAVAILABLE with the same request, within ``deadline`` seconds."""

    call: object
    clients: int = 4
    deadline: float = 30.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self._client, daemon=True)
                         for _ in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.deadline + 30)
            assert not thread.is_alive(), "a client did not finish its last call"

    def _next(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _client(self) -> None:
        while not self._stop.is_set():
            self.outcomes.append(self._one(self._next()))
            time.sleep(0.02)

    def _one(self, n: int) -> Outcome:
        started, tries, first = time.monotonic(), 0, None
        while True:
            tries += 1
            left = self.deadline - (time.monotonic() - started)
            try:
                result = self.call(n, max(0.5, left))
                first = first or (grpc.StatusCode.OK, time.monotonic())
                return Outcome(started, time.monotonic(), grpc.StatusCode.OK, tries, result,
                               *first)
            except grpc.RpcError as error:
                first = first or (error.code(), time.monotonic())
                if error.code() not in RETRYABLE or time.monotonic() - started > self.deadline:
                    return Outcome(started, time.monotonic(), error.code(), tries, None, *first)
                time.sleep(0.2)

    @property
    def succeeded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.code == grpc.StatusCode.OK]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.code != grpc.StatusCode.OK]


def registrations(stack: Stack, tag: str):
    """A call that registers patient ``n`` with a request id of its own; returns its id."""
    def register(n: int, timeout: float) -> str:
        with grpc.insecure_channel(stack.processes["intake"].address) as channel:
            patient = patient_pb2.Patient(given_name="Load", family_name=f"{tag}{n}")
            patient.date_of_birth.year, patient.date_of_birth.month = 1970 + n % 40, 1 + n % 12
            patient.date_of_birth.day = 1 + n % 28
            reply = intake_grpc.IntakeServiceStub(channel).CreatePatient(
                intake_pb.CreatePatientRequest(patient=patient, request_id=f"{tag}-{n}"),
                metadata=DESK, timeout=timeout)
            return reply.patient.patient_id
    return register


def scalar(stack: Stack, service: str, sql: str) -> int:
    engine = create_engine(stack.urls[service])
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()
