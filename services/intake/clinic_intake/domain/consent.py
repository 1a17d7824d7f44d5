"""Signed consents: informed consent per treatment, Spravato REMS enrollment, privacy notice."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_intake.domain import common, errors


class ConsentType(enum.StrEnum):
    KETAMINE_TREATMENT = "KETAMINE_TREATMENT"
    SPRAVATO_TREATMENT = "SPRAVATO_TREATMENT"
    SPRAVATO_REMS_ENROLLMENT = "SPRAVATO_REMS_ENROLLMENT"
    TMS_TREATMENT = "TMS_TREATMENT"
    PRIVACY_NOTICE = "PRIVACY_NOTICE"


class ConsentState(enum.StrEnum):
    SIGNED = "SIGNED"
    REVOKED = "REVOKED"


CLOCK_SKEW = dt.timedelta(minutes=5)


def _checked(d: dict, now: dt.datetime) -> dict:
    kind = common.choice(ConsentType, d.get("consent_type", ""), "consent.type")
    signed_at = d.get("signed_at")
    if signed_at is None:
        raise errors.field("consent.sign_time", "is required")
    if signed_at > now + CLOCK_SKEW:
        raise errors.field("consent.sign_time", "is in the future")
    rems = common.optional_text(d.get("rems_patient_id", ""), "consent.rems_patient_id", 64)
    if kind == ConsentType.SPRAVATO_REMS_ENROLLMENT and not rems:
        raise errors.field("consent.rems_patient_id", "is required for a REMS enrollment")
    if kind != ConsentType.SPRAVATO_REMS_ENROLLMENT and rems:
        raise errors.field("consent.rems_patient_id", "is only for a REMS enrollment")
    return {
        "consent_type": kind, "signed_at": signed_at, "rems_patient_id": rems,
        "form_version": common.required_text(d.get("form_version", ""),
                                             "consent.form_version", 40),
        "signed_by": common.required_text(d.get("signed_by", ""), "consent.signed_by"),
        "signer_relationship": common.optional_text(d.get("signer_relationship", ""),
                                                    "consent.signer_relationship", 60) or "self",
    }


@dataclass
class Consent:
    """A consent form as signed, and whether it still stands."""

    consent_id: str
    patient_id: str
    consent_type: str
    form_version: str
    signed_at: dt.datetime
    signed_by: str
    signer_relationship: str = "self"
    witnessed_by: str = ""
    rems_patient_id: str = ""
    state: str = ConsentState.SIGNED
    revoked_at: dt.datetime | None = None
    revoked_by: str = ""
    revoke_reason: str = ""
    revision: int = 1
    created_at: dt.datetime = field(kw_only=True)

    @classmethod
    def sign(cls, patient_id: str, details: dict, others: list[Consent], staff_id: str,
             now: dt.datetime) -> Consent:
        """A consent as recorded; the same form version standing twice is refused."""
        consent = cls(consent_id=common.new_id(), patient_id=patient_id, witnessed_by=staff_id,
                      created_at=now, **_checked(details, now))
        for other in others:
            if other.stands and (other.consent_type, other.form_version) == \
                    (consent.consent_type, consent.form_version):
                raise errors.ConsentExists(other.consent_id)
        return consent

    @property
    def stands(self) -> bool:
        return self.state == ConsentState.SIGNED

    def revoke(self, reason: str, staff_id: str, now: dt.datetime) -> None:
        reason = common.required_text(reason, "reason", 500)
        if not self.stands:
            raise errors.Refused("CONSENT_ALREADY_REVOKED", "this consent was already revoked")
        self.state, self.revoked_at, self.revoked_by = ConsentState.REVOKED, now, staff_id
        self.revoke_reason = reason
        self.revision += 1

    def snapshot(self) -> dict:
        return common.jsonable({k: getattr(self, k) for k in (
            "consent_type", "form_version", "signed_at", "signed_by", "signer_relationship",
            "witnessed_by", "rems_patient_id", "state", "revoked_at", "revoked_by",
            "revoke_reason")})


def missing(required: tuple[str, ...], consents: list[Consent]) -> list[str]:
    """The required consent types that no standing consent covers."""
    standing = {c.consent_type for c in consents if c.stands}
    return [kind for kind in required if kind not in standing]
