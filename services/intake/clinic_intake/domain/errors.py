"""Intake's refusals, each carried to the caller as a gRPC status with a reason."""

from clinic_common.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)


def field(name: str, message: str, reason: str = "INVALID_FIELD") -> FieldViolation:
    return FieldViolation(name, message, reason=reason)


class StaffIdRequired(Unauthenticated):
    default_reason = "STAFF_ID_REQUIRED"

    def __init__(self):
        super().__init__("this call changes a record: send the acting staff id as x-staff-id")


class PatientNotFound(NotFound):
    default_reason = "PATIENT_NOT_FOUND"

    def __init__(self, patient_id: str):
        super().__init__(f"patient {patient_id!r} does not exist", patient_id=patient_id)


class RecordNotFound(NotFound):
    """A record under a patient (coverage, history entry, flag, plan...) does not exist."""

    def __init__(self, kind: str, record_id: str):
        super().__init__(f"{kind} {record_id!r} does not exist",
                         reason=f"{kind.upper().replace(' ', '_')}_NOT_FOUND",
                         record_id=record_id)


class PatientMerged(FailedPrecondition):
    default_reason = "PATIENT_MERGED"

    def __init__(self, patient_id: str, into: str):
        super().__init__(f"patient {patient_id!r} was merged into {into!r}; use that record",
                         patient_id=patient_id, merged_into=into)


class Refused(FailedPrecondition):
    """A rule of the clinic stops the change; the reason names the rule."""

    def __init__(self, reason: str, message: str, **metadata: object):
        super().__init__(message, reason=reason, **metadata)


class Invalid(InvalidArgument):
    """Malformed input that is not about a single field."""

    def __init__(self, reason: str, message: str, **metadata: object):
        super().__init__(message, reason=reason, **metadata)


class CoverageExists(AlreadyExists):
    default_reason = "COVERAGE_EXISTS"

    def __init__(self, coverage_id: str):
        super().__init__("this payer and member id are already recorded for these dates",
                         coverage_id=coverage_id)


class ConsentExists(AlreadyExists):
    default_reason = "CONSENT_EXISTS"

    def __init__(self, consent_id: str):
        super().__init__("this form version is already signed and stands",
                         consent_id=consent_id)


class PlanExists(AlreadyExists):
    default_reason = "ACTIVE_PLAN_EXISTS"

    def __init__(self, modality: str):
        super().__init__(f"the patient already has an active {modality} plan; amend or end it",
                         modality=modality)
