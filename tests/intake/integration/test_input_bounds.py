"""Size limits and hostile input at the API edge, shown on intake: a clear refusal that
names the field and quotes no value, and nothing stored."""

from __future__ import annotations

import grpc
import pytest
from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import screening_pb2, screening_service_pb2

from tests.intake.support import FRONT_DESK, STAFF, patient, reason, refused, register


def _create(api, **fields):
    return api.patients.CreatePatient(pb.CreatePatientRequest(patient=patient(**fields)),
                                      metadata=FRONT_DESK)


def _stored(api) -> int:
    return len(api.patients.ListPatients(pb.ListPatientsRequest()).patients)


def test_text_longer_than_the_limit_is_refused_without_echoing_it(api):
    error = refused(_create, api, given_name="A" * 20_000)
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "FIELD_TOO_LONG")
    assert "patient.given_name" in error.details() and "10000" in error.details()
    assert "AAAA" not in error.details() and len(error.details()) < 200
    assert _stored(api) == 0


@pytest.mark.parametrize("value", ["Ana\x00", "Ana\u202eevil", "Ana\x1b[2J", "An\u2066a"])
def test_control_and_direction_override_characters_are_refused(api, value):
    error = refused(_create, api, given_name=value)
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                             "FORBIDDEN_CHARACTERS")
    assert _stored(api) == 0


def test_ordinary_text_with_accents_is_taken(api):
    assert _create(api, given_name="José-María", family_name="Nguyễn").patient.given_name == \
        "José-María"
    assert _stored(api) == 1


def test_a_list_longer_than_the_limit_is_refused(api):
    ana = register(api)
    answers = [screening_pb2.ItemAnswer(item=1, value=0)] * 1001
    error = refused(api.screenings.CreateScreening, screening_service_pb2.CreateScreeningRequest(
        parent=ana.name, screening=screening_pb2.Screening(instrument="PHQ-9", answers=answers)),
        metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "TOO_MANY_ITEMS")
    assert "screening.answers" in error.details()


def test_a_message_larger_than_the_limit_is_refused_by_the_transport(api):
    error = refused(_create, api, given_name="A" * (2 * 1024 * 1024))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert _stored(api) == 0


def test_request_bytes_that_do_not_parse_are_invalid_argument(api):
    raw = api.channel.unary_unary("/clinic.intake.v1.IntakeService/CreatePatient",
                                  request_serializer=lambda b: b,
                                  response_deserializer=lambda b: b)
    for garbage in (b"\xff\xff\xff\xff", b"\x0a\xff\xff\xff\xff\x0f", b"\x08" * 11):
        error = refused(raw, garbage, metadata=FRONT_DESK)
        assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                 "MALFORMED_REQUEST")
    assert _stored(api) == 0
