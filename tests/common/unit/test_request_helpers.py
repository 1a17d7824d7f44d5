"""The shared request helpers: page tokens, resource names, enum mapping, timestamps."""

import base64
import datetime as dt
import json

import pytest
from clinic.audit.v1 import audit_service_pb2 as pb
from clinic.intake.v1 import events_pb2
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.names import Name
from clinic_common.protoconv import EnumMap, from_timestamp
from google.protobuf.timestamp_pb2 import Timestamp


def _reason(refusal) -> str:
    return refusal.value.reason


def test_a_page_token_continues_the_list_it_was_issued_for():
    first = pb.ListAuditEventsRequest(patient_id="p1", page_size=10)
    token = paging.next_page_token(["2026-11-30T10:00:00+00:00", 17], first)
    again = pb.ListAuditEventsRequest(patient_id="p1", page_size=25, page_token=token)
    assert paging.page_request(again) == paging.PageRequest(25, ["2026-11-30T10:00:00+00:00", 17])


def test_a_page_token_does_not_serve_other_filters():
    token = paging.next_page_token(["k"], pb.ListAuditEventsRequest(patient_id="p1"))
    with pytest.raises(FieldViolation) as refused:
        paging.page_request(pb.ListAuditEventsRequest(patient_id="p2", page_token=token))
    assert _reason(refused) == "INVALID_PAGE_TOKEN" and "other filters" in refused.value.message


def _token(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("token", [
    "not base64 !", "bm9wZQ==", _token([1, 2]), _token({"after": "x", "filter": ""}),
    _token({"after": [], "filter": ""}), _token({"after": [[1]], "filter": ""}),
    _token({"after": [True], "filter": ""}), _token({"after": ["x" * 300], "filter": ""}),
    _token({"after": [1], "filter": "", "extra": 1}),
    "W" * 2000,
    base64.urlsafe_b64encode(b"[" * 100_000).decode()[:1000],
    _token({"after": [1] * 9, "filter": ""}),
])
def test_a_page_token_of_the_wrong_shape_is_invalid_not_a_crash(token):
    with pytest.raises(FieldViolation) as refused:
        paging.page_request(pb.ListAuditEventsRequest(page_token=token))
    assert _reason(refused) == "INVALID_PAGE_TOKEN"


def test_a_deeply_nested_token_is_refused():
    nested = base64.urlsafe_b64encode(("[" * 50_000 + "]" * 50_000).encode()).decode()
    with pytest.raises(FieldViolation):
        paging.decode_token(nested[:paging.MAX_TOKEN_LENGTH], "x")
    deep = json.dumps({"after": [1], "filter": "x"}).replace("[1]", "[" * 400 + "1" + "]" * 400)
    with pytest.raises(FieldViolation):
        paging.decode_token(base64.urlsafe_b64encode(deep.encode()).decode(), "x")


def test_page_sizes_default_cap_and_refuse_negatives():
    assert paging.page_size(0) == paging.DEFAULT_PAGE_SIZE
    assert paging.page_size(10_000) == paging.MAX_PAGE_SIZE
    with pytest.raises(FieldViolation):
        paging.page_size(-1)


CONSENT = Name("patients/{patient}/consents/{consent}")
LOCATIONS = Name("locations/{location}", wildcard=True)


def test_names_parse_and_format_through_one_pattern():
    assert CONSENT.parse("patients/p1/consents/c1") == ("p1", "c1")
    assert CONSENT.format("p1", "c1") == "patients/p1/consents/c1"
    assert LOCATIONS.parse_one("locations/-") == "-"


@pytest.mark.parametrize("name", [
    "", "patients/p1", "patients/p1/consents", "patients/p1/coverages/c1",
    "patients/p1/consents/c1/x", "patients//consents/c1", "patients/p 1/consents/c1",
    "patients/-/consents/c1", "patients/p1/consents/" + "c" * 65,
])
def test_a_malformed_name_names_the_field_and_the_shape(name):
    with pytest.raises(FieldViolation) as refused:
        CONSENT.parse(name, "name")
    assert refused.value.field == "name"
    assert "patients/{patient}/consents/{consent}" in refused.value.message


def test_a_refusal_quotes_only_a_short_prefix_of_a_long_name():
    with pytest.raises(FieldViolation) as refused:
        CONSENT.parse("x" * 20_000)
    assert len(refused.value.message) < 200


def test_enum_maps_between_proto_values_and_domain_names():
    modality = EnumMap(events_pb2.Modality)
    assert modality.to_domain(events_pb2.MODALITY_TMS, "modality") == "TMS"
    assert modality.to_domain(0, "modality") == ""
    assert modality.to_proto("SPRAVATO") == events_pb2.MODALITY_SPRAVATO
    assert modality.lenient(99) == "UNKNOWN_99"
    with pytest.raises(FieldViolation) as refused:
        modality.to_domain(99, "modality")
    assert "IV_KETAMINE" in refused.value.message  # the known values are named


@pytest.mark.parametrize("seconds,nanos", [
    (-62135596800, 0),  # year 1
    (253402300799, 0),  # 9999-12-31
    (1_700_000_000, -1), (1_700_000_000, 1_000_000_000),
])
def test_timestamps_outside_the_clinic_years_are_refused(seconds, nanos):
    with pytest.raises(FieldViolation):
        from_timestamp(Timestamp(seconds=seconds, nanos=nanos), "start_time")


def test_a_timestamp_in_range_is_an_aware_utc_datetime():
    value = from_timestamp(Timestamp(seconds=1_700_000_000), "t")
    assert value == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


def test_a_name_with_a_trailing_line_break_is_malformed():
    with pytest.raises(FieldViolation):
        CONSENT.parse("patients/p1/consents/c1\n")


def test_a_request_id_is_short_printable_text():
    from clinic.intake.v1 import intake_service_pb2
    from clinic_common.runner import RequestKey

    assert RequestKey.of(intake_service_pb2.CreatePatientRequest()).request_id == ""
    assert RequestKey.of(intake_service_pb2.CreatePatientRequest(request_id="r-1")).fingerprint
    for bad in ("x" * 129, "two words", "tab\t", "é"):
        with pytest.raises(FieldViolation) as refused:
            RequestKey.of(intake_service_pb2.CreatePatientRequest(request_id=bad))
        assert refused.value.field == "request_id"


def test_a_service_with_streaming_requests_cannot_get_rules():
    from clinic_common.access import permission_table, rule
    from clinic_common.identity import Role
    from grpc_reflection.v1alpha import reflection_pb2

    service = reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"]
    with pytest.raises(ValueError, match="streaming"):
        permission_table(service, {"ServerReflectionInfo": rule(Role.ADMIN)})
