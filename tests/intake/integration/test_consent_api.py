"""ConsentService over gRPC on SQLite and PostgreSQL: signing, REMS enrollment, revocation."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import consent_pb2 as c
from clinic.intake.v1 import consent_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2 as intake_pb

from tests.intake.support import DR_KIM, NO_TOKEN, reason, refused, register, sign_consent

KETAMINE = c.CONSENT_TYPE_KETAMINE_TREATMENT
REMS = c.CONSENT_TYPE_SPRAVATO_REMS_ENROLLMENT


@pytest.fixture
def ana(api):
    return register(api)


def _revoke(api, name, why="patient withdrew", metadata=DR_KIM):
    return api.consents.RevokeConsent(pb.RevokeConsentRequest(name=name, reason=why),
                                      metadata=metadata).consent


def test_signed_consent_records_form_version_signer_and_witness(api, ana):
    signed = sign_consent(api, ana.name, KETAMINE, form_version="2025-02")
    assert (signed.type, signed.form_version, signed.signed_by, signed.witnessed_by) == \
        (KETAMINE, "2025-02", "Ana Reyes", "dr-lee")
    assert (signed.state, signed.signer_relationship) == (c.CONSENT_STATE_SIGNED, "self")
    assert api.consents.GetConsent(pb.GetConsentRequest(name=signed.name)).consent == signed


def test_rems_enrollment_needs_the_rems_patient_id(api, ana):
    error = refused(sign_consent, api, ana.name, REMS, rems_patient_id="")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "consent.rems_patient_id" in error.details()
    enrolled = sign_consent(api, ana.name, REMS, rems_patient_id="R-778")
    assert enrolled.rems_patient_id == "R-778"


@pytest.mark.parametrize(("fields", "field"), [
    ({"form_version": ""}, "consent.form_version"),
    ({"rems_patient_id": "R-1"}, "consent.rems_patient_id"),
])
def test_malformed_consent_is_invalid_and_stores_nothing(api, ana, fields, field):
    error = refused(sign_consent, api, ana.name, KETAMINE, **fields)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()
    assert api.consents.ListConsents(pb.ListConsentsRequest(parent=ana.name)).consents == []


def test_consent_type_and_sign_time_are_required(api, ana):
    assert "consent.type" in refused(sign_consent, api, ana.name, 0).details()
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert "consent.sign_time" in refused(sign_consent, api, ana.name, KETAMINE,
                                          signed=future).details()


def test_same_form_version_signed_twice_already_exists(api, ana):
    sign_consent(api, ana.name, KETAMINE)
    error = refused(sign_consent, api, ana.name, KETAMINE)
    assert (error.code(), reason(error)) == (grpc.StatusCode.ALREADY_EXISTS, "CONSENT_EXISTS")
    newer = sign_consent(api, ana.name, KETAMINE, form_version="2026-01")
    listed = api.consents.ListConsents(pb.ListConsentsRequest(parent=ana.name)).consents
    assert [x.form_version for x in listed][-1] == newer.form_version


def test_revocation_keeps_the_signed_revision(api, ana):
    signed = sign_consent(api, ana.name, KETAMINE)
    revoked = _revoke(api, signed.name)
    assert (revoked.state, revoked.revoke_reason, revoked.revoked_by, revoked.revision) == \
        (c.CONSENT_STATE_REVOKED, "patient withdrew", "dr-kim", 2)
    revisions = api.patients.ListRecordRevisions(intake_pb.ListRecordRevisionsRequest(
        record=signed.name)).revisions
    assert [r.snapshot["state"] for r in revisions] == ["SIGNED", "REVOKED"]


def test_revoking_twice_is_a_failed_precondition(api, ana):
    signed = sign_consent(api, ana.name, KETAMINE)
    _revoke(api, signed.name)
    error = refused(_revoke, api, signed.name)
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "CONSENT_ALREADY_REVOKED")


def test_revocation_needs_a_reason_and_a_staff_id(api, ana):
    signed = sign_consent(api, ana.name, KETAMINE)
    assert refused(_revoke, api, signed.name, why="").code() == \
        grpc.StatusCode.INVALID_ARGUMENT
    error = refused(_revoke, api, signed.name, metadata=NO_TOKEN)
    assert reason(error) == "UNAUTHENTICATED"
    got = api.consents.GetConsent(pb.GetConsentRequest(name=signed.name)).consent
    assert got.state == c.CONSENT_STATE_SIGNED


def test_a_revoked_form_may_be_signed_again(api, ana):
    signed = sign_consent(api, ana.name, KETAMINE)
    _revoke(api, signed.name)
    again = sign_consent(api, ana.name, KETAMINE)
    assert again.state == c.CONSENT_STATE_SIGNED


def test_unknown_consent_is_not_found(api, ana):
    error = refused(api.consents.GetConsent, pb.GetConsentRequest(
        name=f"{ana.name}/consents/nope"))
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND, "CONSENT_NOT_FOUND")
