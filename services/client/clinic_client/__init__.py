"""A client of the clinic services for staff apps, and the `clinic` command on it.

    from clinic_client import Clinic
    clinic = Clinic.from_environment()
    patient = clinic.intake.register_patient(given_name="Ada", family_name="King",
                                              date_of_birth="1980-01-02")
    slot = next(clinic.scheduling.search_availability("FREE_CONSULTATION", today, today))
    clinic.scheduling.book_appointment(patient.patient_id, location_id=slot.location_id,
                                       appointment_type="FREE_CONSULTATION",
                                       start=slot.start_time.ToDatetime(datetime.UTC))
    clinic.intake.add_coverage(patient.patient_id, payer_id="60054", member_id="W123",
                               effective_date=today)
    clinic.billing.get_account(patient.patient_id)

Typed methods for the daily jobs of each service (``intake``, ``scheduling``,
``billing``); every other method by name with ``.call(...)`` and ``.pages(...)``. Each
call carries the token, has a deadline, and is retried only when that is safe
(UNAVAILABLE, or a refusal marked retryable) with the same ``request_id``.
"""

from clinic_client.calls import Caller, Refusal, Unreachable
from clinic_client.connection import Clinic, Settings

__all__ = ["Caller", "Clinic", "Refusal", "Settings", "Unreachable"]
