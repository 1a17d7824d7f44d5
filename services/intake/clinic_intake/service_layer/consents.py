"""Recording signed consents and their revocation.

Revoking a consent a modality needs suspends the patient's active plan of that modality, in
the same transaction, and both are announced: scheduling stops booking the plan. A new
consent does not resume it; a provider writes a new plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic.intake.v1 import consent_pb2, events_pb2
from clinic_common.protoconv import EnumMap, timestamp
from clinic_common.runner import Change

from clinic_intake.domain import consent as consents
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
        uow.emit(events_pb2.ConsentRecorded(
            patient_id=consent.patient_id, consent_id=consent.consent_id,
            consent_type=_consent_type(consent), form_version=consent.form_version,
            sign_time=timestamp(consent.signed_at)), key=consent.patient_id)
        return consent.consent_id

    return deps.runner.change("CreateConsent", cmd.key, action)


def consent_of(uow, patient_id: str, consent_id: str) -> Consent:
    found = uow.consents.get(consent_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("consent", consent_id)
    return found


def _consent_type(consent: Consent) -> int:
    return EnumMap(consent_pb2.ConsentType).to_proto(consent.consent_type)


def _suspend_plans_needing(uow, deps: Deps, revoked: Consent, now) -> None:
    """Suspend each active plan whose modality now misses a consent it needs."""
    remaining = uow.consents.for_patient(revoked.patient_id)
    for modality, required in deps.policy.required_consents.items():
        if revoked.consent_type not in required or not consents.missing(required, remaining):
            continue  # another standing consent of the same kind still covers the plan
        plan = uow.plans.active(revoked.patient_id, modality)
        if plan is not None and plan.suspend():
            uow.emit(events_pb2.TreatmentPlanSuspended(
                patient_id=plan.patient_id, plan_id=plan.plan_id,
                modality=events_pb2.Modality.Value(f"MODALITY_{modality}"),
                reason="consent_revoked", consent_id=revoked.consent_id,
                suspend_time=timestamp(now)), key=plan.patient_id)


def revoke_consent(cmd: RevokeConsent, deps: Deps) -> str:
    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        consent = consent_of(uow, cmd.patient_id, cmd.consent_id)
        consent.revoke(cmd.reason, c.actor, now)
        keep_revision(uow, RECORD, consent.consent_id, consent.revision, consent.snapshot(),
                      staff_id=c.actor, now=now, reason=consent.revoke_reason,
                      changed=["revoke_reason", "revoked_at", "revoked_by", "state"])
        uow.emit(events_pb2.ConsentRevoked(
            patient_id=consent.patient_id, consent_id=consent.consent_id,
            consent_type=_consent_type(consent), revoked_by=c.actor,
            revoke_time=timestamp(now)), key=consent.patient_id)
        _suspend_plans_needing(uow, deps, consent, now)
        return consent.consent_id

    return deps.runner.change("RevokeConsent", cmd.key, action)


def get_consent(patient_id: str, consent_id: str, deps: Deps) -> Consent:
    return deps.runner.read(lambda uow: consent_of(uow, patient_id, consent_id))


def list_consents(patient_id: str, deps: Deps, *, limit: int, after: list | None):
    def query(uow):
        patient(uow, patient_id)
        return uow.consents.page(patient_id, limit=limit, after=after)

    return deps.runner.read(query)
