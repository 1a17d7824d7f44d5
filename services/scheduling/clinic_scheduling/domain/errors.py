"""Scheduling's refusals, each carried to the caller as a gRPC status with a reason."""

import datetime as dt

from clinic_common.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    NotFound,
)

# How long a caller waits before retrying a refusal that may only mean scheduling has
# not yet seen intake's latest events (a registration, a clearance, a plan).
PROJECTION_LAG_RETRY = dt.timedelta(seconds=2)


def field(name: str, message: str, reason: str = "INVALID_FIELD") -> FieldViolation:
    return FieldViolation(name, message, reason=reason)


class LocationNotFound(NotFound):
    default_reason = "LOCATION_NOT_FOUND"

    def __init__(self, location_id: str):
        super().__init__(f"location {location_id!r} does not exist", location_id=location_id)


class LocationAlreadyExists(AlreadyExists):
    default_reason = "LOCATION_ALREADY_EXISTS"

    def __init__(self, location_id: str):
        super().__init__(f"location {location_id!r} already exists", location_id=location_id)


class LocationUnknown(FailedPrecondition):
    """Booking at a location scheduling does not have."""

    default_reason = "LOCATION_UNKNOWN"

    def __init__(self, location_id: str):
        super().__init__(f"location {location_id!r} does not exist", location_id=location_id)


class LocationClosed(FailedPrecondition):
    """Reasons: OUTSIDE_OPENING_HOURS, LOCATION_CLOSED_ON_DATE."""

    default_reason = "OUTSIDE_OPENING_HOURS"


class LocationNotCertified(FailedPrecondition):
    default_reason = "LOCATION_NOT_CERTIFIED"

    def __init__(self, location_id: str, certification: str, appointment_type: str):
        super().__init__(
            f"{appointment_type} needs a {certification} location; {location_id!r} is not one",
            location_id=location_id, certification=certification)


class ResourceInUse(FailedPrecondition):
    default_reason = "RESOURCE_IN_USE"

    def __init__(self, location_id: str, resource_id: str):
        super().__init__(f"resource {resource_id!r} has appointments to come; it cannot be "
                         f"removed", location_id=location_id, resource_id=resource_id)


class PatientUnknown(FailedPrecondition):
    retry_after = PROJECTION_LAG_RETRY
    default_reason = "PATIENT_UNKNOWN"

    def __init__(self, patient_id: str):
        super().__init__(f"patient {patient_id!r} is not known to scheduling",
                         patient_id=patient_id)


class PatientMerged(FailedPrecondition):
    default_reason = "PATIENT_MERGED"

    def __init__(self, patient_id: str, survivor_id: str):
        super().__init__(f"patient {patient_id!r} was merged into {survivor_id!r}",
                         patient_id=patient_id, surviving_patient_id=survivor_id)


class StartInPast(FailedPrecondition):
    default_reason = "START_IN_PAST"


class SlotTaken(FailedPrecondition):
    """Reasons: PATIENT_ALREADY_BOOKED, RESOURCE_ALREADY_BOOKED."""


class BookingRaceLost(Aborted):
    """The database refused an overlapping booking that committed concurrently."""


class AppointmentTypeUnknown(FieldViolation):
    """Booking a type scheduling does not have; the message names the known ones."""

    def __init__(self, field_name: str, code: str, known: list[str]):
        super().__init__(field_name, f"{code!r} is not an appointment type; known types: "
                         f"{', '.join(known)}", reason="APPOINTMENT_TYPE_UNKNOWN")


class AppointmentTypeNotFound(NotFound):
    default_reason = "APPOINTMENT_TYPE_NOT_FOUND"

    def __init__(self, code: str, known: list[str]):
        super().__init__(f"appointment type {code!r} does not exist; known types: "
                         f"{', '.join(known)}", appointment_type=code)


class AppointmentTypeAlreadyExists(AlreadyExists):
    default_reason = "APPOINTMENT_TYPE_ALREADY_EXISTS"

    def __init__(self, code: str):
        super().__init__(f"appointment type {code!r} already exists", appointment_type=code)


class ResourceKindMismatch(FieldViolation):
    """A resource asked for that the appointment type does not use; names the kinds it does."""

    def __init__(self, resource_id: str, kind: str, kinds_needed: list[str]):
        needed = ", ".join(kinds_needed) if kinds_needed else "none"
        super().__init__("appointment.resource_ids",
                         f"{resource_id!r} is a {kind}; this appointment type needs: {needed}",
                         reason="RESOURCE_KIND_MISMATCH")


class AppointmentTypeNotOffered(FailedPrecondition):
    default_reason = "APPOINTMENT_TYPE_NOT_OFFERED"

    def __init__(self, location_id: str, appointment_type: str, offered: list[str]):
        super().__init__(f"{appointment_type} is not booked at {location_id!r}; it books: "
                         f"{', '.join(offered)}", location_id=location_id,
                         appointment_type=appointment_type)


class NoResourceAvailable(FailedPrecondition):
    default_reason = "NO_RESOURCE_AVAILABLE"

    def __init__(self, location_id: str, kind: str):
        super().__init__(f"no free {kind} at {location_id!r} for that time",
                         location_id=location_id, resource_kind=kind)


class AppointmentNotFound(NotFound):
    default_reason = "APPOINTMENT_NOT_FOUND"

    def __init__(self, location_id: str, appointment_id: str):
        where = "at any location you may see" if location_id == "-" \
            else f"at location {location_id!r}"
        super().__init__(
            f"appointment {appointment_id!r} does not exist {where}",
            location_id=location_id, appointment_id=appointment_id)


class InvalidStatusTransition(FailedPrecondition):
    default_reason = "INVALID_STATUS_TRANSITION"

    def __init__(self, appointment_id: str, current: str, wanted: str):
        super().__init__(f"appointment {appointment_id!r} is {current}; it cannot become {wanted}",
                         appointment_id=appointment_id, status=current)


class AppointmentNotStarted(FailedPrecondition):
    default_reason = "APPOINTMENT_NOT_STARTED"

    def __init__(self, appointment_id: str):
        super().__init__(f"appointment {appointment_id!r} has not started yet",
                         appointment_id=appointment_id)


class VisitNotStarted(FailedPrecondition):
    default_reason = "VISIT_NOT_STARTED"

    def __init__(self, appointment_id: str, start: dt.datetime):
        super().__init__(f"appointment {appointment_id!r} starts at {start:%Y-%m-%d %H:%M} UTC; "
                         f"a visit cannot be completed before it started",
                         appointment_id=appointment_id, start_time=start.isoformat())


class PlanUnknown(FailedPrecondition):
    default_reason = "PLAN_UNKNOWN"

    def __init__(self, plan_id: str):
        super().__init__(f"treatment plan {plan_id!r} was never announced", plan_id=plan_id)


class PatientNotCleared(FailedPrecondition):
    """No candidacy decision for the treatment's modality, or the latest is not a clearance."""

    retry_after = PROJECTION_LAG_RETRY
    default_reason = "PATIENT_NOT_CLEARED"

    def __init__(self, patient_id: str, modality: str, appointment_type: str, latest: str = ""):
        why = f"the latest decision is {latest}" if latest else "no decision was received"
        super().__init__(
            f"patient {patient_id!r} is not cleared for {modality}, which a {appointment_type} "
            f"needs ({why})", patient_id=patient_id, modality=modality,
            latest_outcome=latest or "NONE")


class NoActivePlan(FailedPrecondition):
    retry_after = PROJECTION_LAG_RETRY
    default_reason = "NO_ACTIVE_PLAN"

    def __init__(self, patient_id: str, modality: str, appointment_type: str):
        super().__init__(
            f"patient {patient_id!r} has no active {modality} treatment plan, which a "
            f"{appointment_type} needs", patient_id=patient_id, modality=modality)


class StaffMemberNotFound(NotFound):
    default_reason = "STAFF_MEMBER_NOT_FOUND"

    def __init__(self, staff_member_id: str):
        super().__init__(f"staff member {staff_member_id!r} does not exist",
                         staff_member_id=staff_member_id)


class StaffMemberAlreadyExists(AlreadyExists):
    default_reason = "STAFF_MEMBER_ALREADY_EXISTS"

    def __init__(self, staff_member_id: str):
        super().__init__(f"staff member {staff_member_id!r} already exists",
                         staff_member_id=staff_member_id)


class VisitStepRefused(FailedPrecondition):
    """A visit-day step the visit is not ready for. Reasons: CHECKLIST_INCOMPLETE,
    VISIT_NOT_CHECKED_IN, VISIT_NOT_IN_PROGRESS, VISIT_NOT_ENDED, ESCORT_REQUIRED,
    OBSERVATION_NOT_OVER, MONITORING_INCOMPLETE, VISIT_STEPS_INCOMPLETE."""

    default_reason = "VISIT_STEPS_INCOMPLETE"

    def __init__(self, appointment_id: str, reason: str, message: str, **metadata: str):
        super().__init__(message, reason=reason, appointment_id=appointment_id, **metadata)


class SafetyFlagOpen(FailedPrecondition):
    """A suicidality flag intake raised is not acknowledged by a clinician yet."""

    default_reason = "SAFETY_FLAG_OPEN"

    def __init__(self, patient_id: str, flag_id: str):
        super().__init__(f"patient {patient_id!r} has an unacknowledged suicidality flag "
                         f"({flag_id}); a clinician must acknowledge it in intake first",
                         patient_id=patient_id, flag_id=flag_id)


class SeriesDoesNotFit(FailedPrecondition):
    """A treatment series whose sessions cannot all be placed: names the first that cannot,
    and why. Nothing is booked."""

    default_reason = "SERIES_DOES_NOT_FIT"

    def __init__(self, session: int, sessions: int, why: str):
        super().__init__(f"session {session} of {sessions} cannot be placed: {why}",
                         session=str(session), sessions=str(sessions))


class SpacingTooShort(FailedPrecondition):
    """A treatment closer to a neighbouring one than the plan's minimum spacing."""

    default_reason = "SPACING_TOO_SHORT"

    def __init__(self, neighbour_id: str, hours: float, min_hours: int):
        super().__init__(
            f"it would be {hours:g} hours from appointment {neighbour_id!r}; the plan needs "
            f"at least {min_hours}", neighbour_appointment_id=neighbour_id,
            min_spacing_hours=str(min_hours))


class SeriesComplete(FailedPrecondition):
    """Every session of the patient's plan is already booked or used."""

    default_reason = "SERIES_COMPLETE"

    def __init__(self, patient_id: str, sessions: int):
        super().__init__(f"all {sessions} sessions of the patient's plan are booked or used",
                         patient_id=patient_id, sessions=str(sessions))


class HoldNotFound(NotFound):
    default_reason = "HOLD_NOT_FOUND"

    def __init__(self, location_id: str, hold_id: str):
        super().__init__(f"location {location_id!r} has no hold {hold_id!r}",
                         location_id=location_id, hold_id=hold_id)


class HoldNotUsable(FailedPrecondition):
    """Reasons: HOLD_EXPIRED (expired, released or consumed), HOLD_MISMATCH (another
    patient, type or start)."""

    default_reason = "HOLD_EXPIRED"


class SeriesNotFound(NotFound):
    default_reason = "SERIES_NOT_FOUND"

    def __init__(self, patient_id: str, series_id: str):
        super().__init__(f"patient {patient_id!r} has no series {series_id!r}",
                         patient_id=patient_id, series_id=series_id)


class NotInSeries(FailedPrecondition):
    default_reason = "NOT_IN_SERIES"

    def __init__(self, appointment_id: str):
        super().__init__(f"appointment {appointment_id!r} is not a session of a series",
                         appointment_id=appointment_id)


class WaitlistEntryNotFound(NotFound):
    default_reason = "WAITLIST_ENTRY_NOT_FOUND"

    def __init__(self, patient_id: str, entry_id: str):
        super().__init__(f"patient {patient_id!r} has no waitlist entry {entry_id!r}",
                         patient_id=patient_id, entry_id=entry_id)


class WaitlistEntryClosed(FailedPrecondition):
    default_reason = "ENTRY_CLOSED"

    def __init__(self, entry_id: str, status: str):
        super().__init__(f"waitlist entry {entry_id!r} is {status.lower()}",
                         entry_id=entry_id, state=status)


class NoOffer(FailedPrecondition):
    """Reasons: NO_OFFER (nothing offered now), OFFER_EXPIRED (the offer lapsed)."""

    default_reason = "NO_OFFER"


class CurrentAppointmentMismatch(FailedPrecondition):
    default_reason = "CURRENT_APPOINTMENT_MISMATCH"

    def __init__(self, appointment_id: str, why: str):
        super().__init__(f"appointment {appointment_id!r} cannot be moved by the waitlist: "
                         f"{why}", appointment_id=appointment_id)
