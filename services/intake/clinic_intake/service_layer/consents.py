"""Recording signed consents and their revocation."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common.runner import Change

from clinic_intake.domain import errors
from clinic_intake.domain.consent import Consent
from clinic_intake.service_layer.deps import (
    Deps,
    Mutation,
    active_patient,
    keep_revision,
    patient,
)

RECORD = "consent"


@dataclass(frozen=True, kw_only=True)
class SignConsent(Mutation):
    patient_id: str
    details: dict


@dataclass(frozen=True, kw_only=True)
class RevokeConsent(Mutation):
    patient_id: str
    consent_id: str
    reason: str


def sign_consent(cmd: SignConsent, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        consent = Consent.sign(cmd.patient_id, cmd.details,
                               uow.consents.for_patient(cmd.patient_id), c.actor, now)
        uow.consents.add(consent)
        keep_revision(uow, RECORD, consent.consent_id, 1, consent.snapshot(),
                      staff_id=c.actor, now=now, reason="signed")
        return consent.consent_id

    return deps.runner.change("CreateConsent", cmd.key, action)


def consent_of(uow, patient_id: str, consent_id: str) -> Consent:
    found = uow.consents.get(consent_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("consent", consent_id)
    return found


def revoke_consent(cmd: RevokeConsent, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        consent = consent_of(uow, cmd.patient_id, cmd.consent_id)
        consent.revoke(cmd.reason, c.actor, now)
        keep_revision(uow, RECORD, consent.consent_id, consent.revision, consent.snapshot(),
                      staff_id=c.actor, now=now, reason=consent.revoke_reason,
                      changed=["revoke_reason", "revoked_at", "revoked_by", "state"])
        return consent.consent_id

    return deps.runner.change("RevokeConsent", cmd.key, action)


def get_consent(patient_id: str, consent_id: str, deps: Deps) -> Consent:
    return deps.runner.read(lambda uow: consent_of(uow, patient_id, consent_id))


def list_consents(patient_id: str, deps: Deps, *, limit: int, after: list | None):
    def query(uow):
        patient(uow, patient_id)
        return uow.consents.page(patient_id, limit=limit, after=after)

    return deps.runner.read(query)
