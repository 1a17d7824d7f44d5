"""Intake's refusals, each carried to the caller as a gRPC status with a reason."""

from clinic_common.errors import FieldViolation, NotFound


def field(name: str, message: str) -> FieldViolation:
    return FieldViolation(name, message)


class PatientNotFound(NotFound):
    default_reason = "PATIENT_NOT_FOUND"

    def __init__(self, patient_id: str):
        super().__init__(f"patient {patient_id!r} does not exist", patient_id=patient_id)
