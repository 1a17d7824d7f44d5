"""Every method of every service, fed generated requests and raw bytes (hypothesis, from the
method's descriptor): never INTERNAL, and a refused call changes nothing.

The number of examples per method is FUZZ_EXAMPLES (a few dozen in `make test`; `make
faults` runs many more).
"""

from __future__ import annotations

import os
import string

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake_events
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.billing import support as billing_support
from tests.scheduling.helpers import intake_record

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
TOKEN = (("authorization", f"Bearer {auth.token(*auth.ALL_STAFF, sub='fuzzer')}"),)
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
# Tables a refused call may still write: its own audit row.
AUDIT_ONLY = {"audit_log"}

KNOWN_NAMES = ["patients/fz-1", "patients/fz-1/consents/c1", "patients/fz-1/coverages/x",
               "patients/fz-1/historyEntries/e", "patients/fz-1/treatmentPlans/t",
               "patients/fz-1/screenings/s", "patients/fz-1/safetyFlags/f",
               "patients/fz-1/candidacyDecisions/d", "locations/la-jolla", "locations/-",
               "locations/la-jolla/appointments/a1", "accounts/fz-1", "accounts/fz-1/charges/c1", "accounts/-", "payers/60054",
               "feeScheduleEntries/99213", "PHQ-9", "F33.2", "IV_KETAMINE_INFUSION", "fz-1",
               "la-jolla", "chair-1", "America/Los_Angeles", "+16195550100"]
AWKWARD = ["", "-", " ", "x" * 300, "\x00", "\u202e", "é", "../", "a/b", "%s%n", "\ud7ff",
           "patients/", "locations/-/appointments/-", "9" * 30, "null", "[[[[", "'; --"]
INT_RANGES = {F.TYPE_INT32: (-2**31, 2**31 - 1), F.TYPE_SINT32: (-2**31, 2**31 - 1),
              F.TYPE_SFIXED32: (-2**31, 2**31 - 1), F.TYPE_UINT32: (0, 2**32 - 1),
              F.TYPE_FIXED32: (0, 2**32 - 1), F.TYPE_INT64: (-2**63, 2**63 - 1),
              F.TYPE_SINT64: (-2**63, 2**63 - 1), F.TYPE_SFIXED64: (-2**63, 2**63 - 1),
              F.TYPE_UINT64: (0, 2**64 - 1), F.TYPE_FIXED64: (0, 2**64 - 1)}


def _text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(KNOWN_NAMES), st.sampled_from(AWKWARD),
                     st.text(max_size=30), st.text(string.printable, max_size=80))


def _scalar(field) -> st.SearchStrategy:
    if field.type == F.TYPE_STRING:
        return _text()
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=40)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    if field.type == F.TYPE_ENUM:
        return st.integers(-3, 40)  # proto3 enums are open: unknown numbers arrive too
    low, high = INT_RANGES[field.type]
    return st.one_of(st.integers(low, high), st.sampled_from([0, 1, -1, low, high]))


def _messages(descriptor, depth: int = 0) -> st.SearchStrategy:
    cls = message_factory.GetMessageClass(descriptor)
    if depth > 3:
        return st.just(cls())
    fields = {}
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        value = _messages(field.message_type, depth + 1) if field.type == F.TYPE_MESSAGE \
            else _scalar(field)
        fields[field.name] = st.lists(value, max_size=3) if field.is_repeated else value
    return st.fixed_dictionaries({}, optional=fields).map(lambda values: _build(cls, values))


def _build(cls, values: dict):
    message = cls()
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        try:
            if field.is_repeated:
                target = getattr(message, name)
                if field.type == F.TYPE_MESSAGE:
                    for item in value:
                        target.add().CopyFrom(item)
                else:
                    target.extend(value)
            elif field.type == F.TYPE_MESSAGE:
                getattr(message, name).CopyFrom(value)
            else:
                setattr(message, name, value)
        except (ValueError, TypeError):  # a value the Python runtime itself refuses
            pass
    return message


def _methods(started) -> list:
    pool = descriptor_pool.Default()
    found = []
    for path in sorted(started.host.edge.rules):
        service_name, method_name = path.strip("/").split("/")
        found.append((path, pool.FindServiceByName(service_name).methods_by_name[method_name]))
    return found


def _counts(runtime) -> dict[str, int]:
    with runtime.session_factory() as session:
        return {name: session.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in runtime.spec.metadata.tables.items()
                if name not in AUDIT_ONLY}


def _seed(started) -> None:
    """A patient called fz-1 that each service knows, so generated names sometimes hit."""
    processor = started.runtime.processor()
    registered = intake_events.PatientRegistered(patient_id="fz-1")
    if started.name == "scheduling":
        processor.process(intake_record(registered, key="fz-1"))
    elif started.name == "billing":
        processor.process(billing_support.record(registered))


@pytest.fixture(scope="module", params=["intake", "scheduling", "billing"])
def service(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    with running(request.param, f"sqlite:///{folder / 'fuzz.db'}") as started:
        _seed(started)
        with started.channel() as channel:
            yield started, channel


def _call(channel, path, method, payload: bytes) -> grpc.StatusCode:
    response = message_factory.GetMessageClass(method.output_type)
    stub = channel.unary_unary(path, request_serializer=lambda b: b,
                               response_deserializer=response.FromString)
    try:
        stub(payload, metadata=TOKEN, timeout=20)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def _check(started, channel, path, method, payload: bytes) -> None:
    before = _counts(started.runtime)
    code = _call(channel, path, method, payload)
    assert code not in NEVER, f"{path} answered {code.name}"
    if code != grpc.StatusCode.OK:
        assert _counts(started.runtime) == before, f"{path} was refused but changed data"


def _fuzz(started, channel, path, method, payloads, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(payload=payloads)
    def one(payload):
        _check(started, channel, path, method, payload)

    one()


def test_generated_requests_never_get_internal_or_change_data_when_refused(service):
    started, channel = service
    for path, method in _methods(started):
        requests = _messages(method.input_type).map(lambda m: m.SerializeToString())
        _fuzz(started, channel, path, method, requests, EXAMPLES)


def test_raw_bytes_never_get_internal(service):
    started, channel = service
    for path, method in _methods(started):
        _fuzz(started, channel, path, method, st.binary(max_size=200), max(5, EXAMPLES // 3))

