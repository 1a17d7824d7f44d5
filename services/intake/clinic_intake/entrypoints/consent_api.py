"""ConsentService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import consent_pb2
from clinic.intake.v1 import consent_service_pb2 as pb
from clinic.intake.v1 import consent_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import EnumMap, from_timestamp, timestamp

from clinic_intake.domain.consent import Consent
from clinic_intake.entrypoints import common
from clinic_intake.service_layer import consents
from clinic_intake.service_layer.deps import Deps


def _details(c: consent_pb2.Consent) -> dict:
    return {
        "consent_type": EnumMap(consent_pb2.ConsentType).to_domain(c.type, "consent.type"),
        "form_version": c.form_version,
        "signed_at": from_timestamp(c.sign_time, "consent.sign_time", required=False),
        "signed_by": c.signed_by, "signer_relationship": c.signer_relationship,
        "rems_patient_id": c.rems_patient_id,
    }


def to_proto(c: Consent) -> consent_pb2.Consent:
    return consent_pb2.Consent(
        name=f"patients/{c.patient_id}/consents/{c.consent_id}", consent_id=c.consent_id,
        type=EnumMap(consent_pb2.ConsentType).to_proto(c.consent_type),
        form_version=c.form_version, sign_time=timestamp(c.signed_at),
        signed_by=c.signed_by, signer_relationship=c.signer_relationship,
        witnessed_by=c.witnessed_by, rems_patient_id=c.rems_patient_id,
        state=EnumMap(consent_pb2.ConsentState).to_proto(c.state),
        revoke_time=timestamp(c.revoked_at) if c.revoked_at else None,
        revoke_reason=c.revoke_reason, revoked_by=c.revoked_by, revision=c.revision,
        create_time=timestamp(c.created_at))


def _name(name: str) -> tuple[str, str]:
    return common.CONSENT.parse(name)


class ConsentServicer(pb_grpc.ConsentServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def CreateConsent(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        if not request.HasField("consent"):
            raise FieldViolation("consent", "is required")
        consent_id = consents.sign_consent(consents.SignConsent(
            patient_id=patient_id, details=_details(request.consent), **meta), self.deps)
        found = consents.get_consent(patient_id, consent_id, self.deps)
        return pb.CreateConsentResponse(consent=to_proto(found))

    def GetConsent(self, request, context):
        return pb.GetConsentResponse(
            consent=to_proto(consents.get_consent(*_name(request.name), self.deps)))

    def ListConsents(self, request, context):
        want = paging.page_request(request)
        page = consents.list_consents(common.patient_id(request.parent, "parent"), self.deps,
                                      limit=want.size, after=want.after)
        return pb.ListConsentsResponse(consents=[to_proto(c) for c in page.items],
                                       next_page_token=paging.next_page_token(page.next_key, request))

    def RevokeConsent(self, request, context):
        meta = common.change(request)
        patient_id, consent_id = _name(request.name)
        consents.revoke_consent(consents.RevokeConsent(
            patient_id=patient_id, consent_id=consent_id, reason=request.reason, **meta),
            self.deps)
        found = consents.get_consent(patient_id, consent_id, self.deps)
        return pb.RevokeConsentResponse(consent=to_proto(found))
