"""A client of the clinic services for staff apps, and the `clinic` command on it.

    from clinic_client import Clinic
    clinic = Clinic.from_environment()
    patient = clinic.intake.register_patient(given_name="Ada", family_name="King",
                                              date_of_birth="1980-01-02")
"""

from clinic_client.calls import Caller, Refusal, Unreachable
from clinic_client.connection import Clinic, Settings

__all__ = ["Caller", "Clinic", "Refusal", "Settings", "Unreachable"]
