"""Consent rules: what a signature records, REMS enrollment, revocation, what is missing."""

import datetime as dt

import pytest
from clinic_common.errors import AlreadyExists, FailedPrecondition, FieldViolation
from clinic_intake.domain.consent import Consent, missing

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _sign(kind="KETAMINE_TREATMENT", others=(), **fields) -> Consent:
    details = {"consent_type": kind, "form_version": "2025-01", "signed_at": NOW,
               "signed_by": "Ana Reyes", **fields}
    return Consent.sign("p1", details, list(others), "dr-lee", NOW)


def test_signature_is_witnessed_by_the_recording_staff_member():
    consent = _sign()
    assert (consent.witnessed_by, consent.stands, consent.signer_relationship) == \
        ("dr-lee", True, "self")


def test_rems_enrollment_needs_its_id():
    with pytest.raises(FieldViolation):
        _sign("SPRAVATO_REMS_ENROLLMENT")
    assert _sign("SPRAVATO_REMS_ENROLLMENT", rems_patient_id="R1").rems_patient_id == "R1"


def test_the_same_form_version_cannot_stand_twice():
    first = _sign()
    with pytest.raises(AlreadyExists):
        _sign(others=[first])
    first.revoke("withdrew", "dr-lee", NOW)
    assert _sign(others=[first]).stands


def test_revocation_needs_a_reason_and_happens_once():
    consent = _sign()
    with pytest.raises(FieldViolation):
        consent.revoke(" ", "dr-lee", NOW)
    consent.revoke("withdrew", "dr-lee", NOW)
    assert (consent.stands, consent.revision) == (False, 2)
    with pytest.raises(FailedPrecondition):
        consent.revoke("again", "dr-lee", NOW)


def test_missing_lists_required_types_without_a_standing_consent():
    revoked = _sign("SPRAVATO_TREATMENT")
    revoked.revoke("withdrew", "dr-lee", NOW)
    held = [_sign(), revoked]
    assert missing(("KETAMINE_TREATMENT",), held) == []
    assert missing(("SPRAVATO_TREATMENT", "SPRAVATO_REMS_ENROLLMENT"), held) == \
        ["SPRAVATO_TREATMENT", "SPRAVATO_REMS_ENROLLMENT"]
