"""The appointment aggregate and its status machine, aligned with FHIR R4 Appointment.status."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from clinic_scheduling.domain import errors
from clinic_scheduling.domain.policy import is_late_cancellation
from clinic_scheduling.domain.visit import (
    ESCORTED_MODALITIES,
    SPRAVATO,
    BillingFacts,
    Checklist,
    Phase,
    VisitPolicy,
    VitalSigns,
    spravato_monitoring_gaps,
    steps_missing,
)

REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Status(StrEnum):
    PROPOSED = "PROPOSED"
    PENDING = "PENDING"
    BOOKED = "BOOKED"
    ARRIVED = "ARRIVED"
    CHECKED_IN = "CHECKED_IN"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"
    NOSHOW = "NOSHOW"
    ENTERED_IN_ERROR = "ENTERED_IN_ERROR"
    WAITLIST = "WAITLIST"


class Initiator(StrEnum):
    """Who asked for a cancellation."""

    PATIENT = "PATIENT"
    CLINIC = "CLINIC"


# Statuses in which an appointment holds its slot and resources. The PostgreSQL
# exclusion constraints of migration 0001 use the same list.
HOLDING = frozenset({Status.BOOKED, Status.ARRIVED, Status.CHECKED_IN, Status.FULFILLED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PROPOSED: frozenset({Status.PENDING, Status.BOOKED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.WAITLIST: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.BOOKED: frozenset({Status.ARRIVED, Status.CHECKED_IN, Status.FULFILLED,
                              Status.CANCELLED, Status.NOSHOW, Status.ENTERED_IN_ERROR}),
    Status.ARRIVED: frozenset({Status.CHECKED_IN, Status.FULFILLED, Status.CANCELLED,
                               Status.ENTERED_IN_ERROR}),
    Status.CHECKED_IN: frozenset({Status.FULFILLED, Status.CANCELLED, Status.ENTERED_IN_ERROR}),
    Status.FULFILLED: frozenset({Status.ENTERED_IN_ERROR}),
}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def require_future(start: dt.datetime, now: dt.datetime) -> None:
    """Visits are booked ahead; the past is recorded by the visit workflow, not booked."""
    if start < now:
        raise errors.StartInPast(
            f"the appointment would start in the past ({start:%Y-%m-%d %H:%M} UTC)")


@dataclass(eq=False)
class ResourceBooking:
    """A resource held by an appointment; the rows the resource exclusion constraint sees."""

    resource_id: str
    location_id: str
    start_time: dt.datetime
    end_time: dt.datetime
    active: bool = True


@dataclass(eq=False)
class StaffAssignment:
    """A staff member an appointment uses, over the parts of the visit that need their
    role (the whole visit for a type without parts). Exclusive assignments (a
    provider, a TMS technician) may not overlap another of the same person; shared ones
    (an RN's infusion chairs, a Spravato observation) count toward the RN's ratio."""

    staff_member_id: str
    role: str  # the need it fills: RN, OBSERVER, PROVIDER, TMS_TECHNICIAN
    location_id: str
    start_time: dt.datetime
    end_time: dt.datetime
    exclusive: bool
    active: bool = True


@dataclass(eq=False)
class HistoryEntry:
    """Where and when an appointment was before a reschedule moved it."""

    revision: int
    start_time: dt.datetime
    end_time: dt.datetime
    resource_list: str  # the resource ids, comma-separated
    changed_at: dt.datetime

    @property
    def resource_ids(self) -> list[str]:
        return [r for r in self.resource_list.split(",") if r]


# Statuses from which an appointment may be moved to another time.
MOVABLE = frozenset({Status.BOOKED})


@dataclass(eq=False)
class Appointment:
    appointment_id: str
    location_id: str
    patient_id: str
    appointment_type: str
    start_time: dt.datetime
    end_time: dt.datetime
    service_date: dt.date
    status: str = Status.BOOKED
    resources: list[ResourceBooking] = field(default_factory=list)
    staff: list[StaffAssignment] = field(default_factory=list)
    cancel_reason: str = ""
    late_cancellation: bool = False
    cancelled_by: str = ""  # an Initiator once cancelled
    rendering_provider_id: str = ""
    revision: int = 0
    history: list[HistoryEntry] = field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    # The visit day (see domain/visit.py).
    checked_in_at: dt.datetime | None = None
    escort_confirmed: bool = False
    fasting_confirmed: bool = False
    started_at: dt.datetime | None = None
    drug: str = ""
    dose_given_mcg: int = 0
    lot_number: str = ""
    started_by: str = ""
    ended_at: dt.datetime | None = None
    discharged_at: dt.datetime | None = None
    escort_name: str = ""
    vitals: list[VitalSigns] = field(default_factory=list)
    series_id: str = ""  # the treatment series it belongs to (domain/series.py)
    # What the clinician reported at completion for billing (migration 0019).
    em_level: int = 0
    provider_credential: str = ""
    motor_threshold_redetermined: bool = False
    drug_wasted_mcg: int | None = None

    @classmethod
    def book(cls, *, location_id: str, patient_id: str, appointment_type: str,
             start: dt.datetime, end: dt.datetime, service_date: dt.date,
             resource_ids: list[str], now: dt.datetime,
             staff: list[tuple[str, str, bool]] = (), series_id: str = "",
             staff_windows: dict | None = None) -> Appointment:
        """``staff``: (staff member, the need filled, exclusive) for each staff need;
        ``staff_windows``: when in the visit each need is needed (the whole visit when not
        given; AppointmentType.staff_windows)."""
        windows = staff_windows or {}
        require_future(start, now)
        return cls(appointment_id=new_id(), location_id=location_id, patient_id=patient_id,
                   appointment_type=appointment_type, start_time=start, end_time=end,
                   service_date=service_date, created_at=now, updated_at=now,
                   resources=[ResourceBooking(r, location_id, start, end) for r in resource_ids],
                   staff=[StaffAssignment(i, role, location_id,
                                          *windows.get(role, (start, end)), exclusive)
                          for i, role, exclusive in staff], series_id=series_id)

    @property
    def staff_ids(self) -> list[str]:
        return sorted(a.staff_member_id for a in self.staff)

    def assign_staff(self, staff: list[tuple[str, str, bool]],
                     staff_windows: dict | None = None) -> None:
        """Replace the staff (a reschedule picks them again for the new time)."""
        windows = staff_windows or {}
        kept = {(a.staff_member_id, a.role): a for a in self.staff}
        wanted = {(i, role): exclusive for i, role, exclusive in staff}
        for assignment in list(self.staff):
            if (assignment.staff_member_id, assignment.role) not in wanted:
                self.staff.remove(assignment)
        for (staff_member_id, role), exclusive in wanted.items():
            assignment = kept.get((staff_member_id, role))
            if assignment is None:
                self.staff.append(StaffAssignment(
                    staff_member_id, role, self.location_id,
                    *windows.get(role, (self.start_time, self.end_time)), exclusive))
            else:
                assignment.start_time, assignment.end_time = \
                    windows.get(role, (self.start_time, self.end_time))

    @property
    def resource_ids(self) -> list[str]:
        return sorted(r.resource_id for r in self.resources)

    def cancel(self, reason: str, initiator: Initiator, now: dt.datetime,
               late_window: dt.timedelta, *, fee_applies: bool = True) -> None:
        """Cancel; late only when the patient cancels inside the window and the type
        carries a late-cancel fee. The clinic's own cancellations are never late."""
        if not REASON.match(reason):
            raise errors.field("reason", "is required: a lowercase word such as "
                               "'patient_request'")
        self._move(Status.CANCELLED, now)
        self.cancel_reason = reason
        self.cancelled_by = initiator
        self.late_cancellation = initiator == Initiator.PATIENT and fee_applies and \
            is_late_cancellation(self.start_time, now, late_window)

    def reschedule(self, start: dt.datetime, end: dt.datetime, service_date: dt.date,
                   resource_ids: list[str], now: dt.datetime) -> None:
        """Move to a new time (the caller checked it is free), keeping the old in history."""
        if self.status not in MOVABLE:
            raise errors.InvalidStatusTransition(self.appointment_id, self.status, "RESCHEDULED")
        require_future(start, now)
        self.history.append(HistoryEntry(self.revision, self.start_time, self.end_time,
                                         ",".join(self.resource_ids), now))
        self.revision += 1
        self.start_time, self.end_time, self.service_date = start, end, service_date
        kept = {r.resource_id: r for r in self.resources}
        for booking in list(self.resources):
            if booking.resource_id not in resource_ids:
                self.resources.remove(booking)
        for resource_id in resource_ids:
            booking = kept.get(resource_id)
            if booking is None:
                self.resources.append(ResourceBooking(resource_id, self.location_id, start, end))
            else:
                booking.start_time, booking.end_time = start, end
        self.updated_at = now

    def mark_no_show(self, now: dt.datetime) -> None:
        self._require_started(now)
        self._move(Status.NOSHOW, now)

    @property
    def phase(self) -> Phase:
        """Where a visit under way stands; none before check-in and once it is closed."""
        if self.checked_in_at is None or self.status != Status.CHECKED_IN:
            return Phase.NONE
        if self.discharged_at:
            return Phase.DISCHARGED
        if self.ended_at:
            return Phase.RECOVERY
        return Phase.IN_PROGRESS if self.started_at else Phase.CHECKED_IN

    def check_in(self, now: dt.datetime, checklist: Checklist) -> None:
        """Checked in once the clearance's checklist is confirmed (FHIR "checked-in")."""
        if self.status != Status.BOOKED:
            raise errors.InvalidStatusTransition(self.appointment_id, self.status, "CHECKED_IN")
        missing = checklist.missing()
        if missing:
            raise errors.VisitStepRefused(
                self.appointment_id, "CHECKLIST_INCOMPLETE",
                f"check-in needs {', '.join(missing)} confirmed", missing=",".join(missing))
        self._move(Status.CHECKED_IN, now)
        self.checked_in_at = now
        self.escort_confirmed = checklist.escort_confirmed
        self.fasting_confirmed = checklist.fasting_confirmed

    def start_visit(self, now: dt.datetime, *, drug: str, dose_mcg: int, lot_number: str,
                    staff_id: str) -> None:
        self._require_phase(Phase.CHECKED_IN, "VISIT_NOT_CHECKED_IN",
                            "the treatment starts after check-in, once")
        self.started_at, self.started_by = now, staff_id
        self.drug, self.dose_given_mcg, self.lot_number = drug, dose_mcg, lot_number
        self.updated_at = now

    def record_vitals(self, vitals: VitalSigns, now: dt.datetime) -> None:
        vitals.validate()
        if self.phase not in (Phase.CHECKED_IN, Phase.IN_PROGRESS, Phase.RECOVERY):
            raise errors.VisitStepRefused(self.appointment_id, "VISIT_NOT_CHECKED_IN",
                                          "vitals are recorded between check-in and discharge")
        if vitals.taken_at > now:
            raise errors.field("taken_time", "must not be in the future")
        self.vitals.append(vitals)
        self.vitals.sort(key=lambda v: v.taken_at)
        self.updated_at = now

    def end_visit(self, now: dt.datetime) -> None:
        self._require_phase(Phase.IN_PROGRESS, "VISIT_NOT_IN_PROGRESS",
                            "only a started visit ends")
        self.ended_at = now
        self.updated_at = now

    def discharge(self, now: dt.datetime, escort_name: str, modality: str,
                  policy: VisitPolicy) -> None:
        """Discharged: after ketamine or Spravato only with an escort; Spravato only after
        its observation and the blood pressures its label asks for."""
        treatment = bool(modality)
        if treatment:
            self._require_phase(Phase.RECOVERY, "VISIT_NOT_ENDED",
                                "a treatment is discharged after it ended")
        else:
            self._require_phase(Phase.CHECKED_IN, "VISIT_NOT_CHECKED_IN",
                                "a visit is discharged after check-in")
        if modality in ESCORTED_MODALITIES and not escort_name.strip():
            raise errors.VisitStepRefused(self.appointment_id, "ESCORT_REQUIRED",
                                          "after ketamine or Spravato the patient leaves "
                                          "with an escort: escort_name is required")
        if modality == SPRAVATO and self.started_at is not None:
            self._check_spravato(now, policy)
        self.discharged_at, self.escort_name = now, escort_name.strip()
        self.updated_at = now

    def complete(self, now: dt.datetime, rendering_provider_id: str = "", *,
                 treatment: bool = False, modality: str = "",
                 facts: BillingFacts | None = None) -> None:
        """Fulfilled: only once the visit started (a completion before the booked start
        is a mistake, and would bill a visit that has not happened), and only once the
        steps its type needs are done."""
        if now < self.start_time:
            raise errors.VisitNotStarted(self.appointment_id, self.start_time)
        missing = steps_missing(treatment=treatment, checked_in=self.checked_in_at is not None,
                                started=self.started_at is not None,
                                ended=self.ended_at is not None,
                                discharged=self.discharged_at is not None)
        if missing and self.status in (Status.BOOKED, Status.CHECKED_IN):
            raise errors.VisitStepRefused(
                self.appointment_id, "VISIT_STEPS_INCOMPLETE",
                f"the visit still needs: {', '.join(missing)}", missing=",".join(missing))
        facts = facts or BillingFacts()
        facts.validate(modality=modality, drug=self.drug)
        self._move(Status.FULFILLED, now)
        self.rendering_provider_id = rendering_provider_id or self.started_by
        self.em_level, self.provider_credential = facts.em_level, facts.provider_credential
        self.motor_threshold_redetermined = facts.motor_threshold_redetermined
        self.drug_wasted_mcg = facts.drug_wasted_mcg

    def _check_spravato(self, now: dt.datetime, policy: VisitPolicy) -> None:
        assert self.started_at is not None
        ready_at = self.started_at + policy.spravato_observation
        if now < ready_at:
            raise errors.VisitStepRefused(
                self.appointment_id, "OBSERVATION_NOT_OVER",
                f"Spravato's observation runs until {ready_at:%H:%M} UTC",
                discharge_after=ready_at.isoformat())
        gaps = spravato_monitoring_gaps(self.started_at, self.vitals, policy)
        if gaps:
            raise errors.VisitStepRefused(
                self.appointment_id, "MONITORING_INCOMPLETE",
                f"Spravato's discharge needs {', '.join(gaps)}", missing=",".join(gaps))

    def _require_phase(self, phase: Phase, reason: str, message: str) -> None:
        if self.phase != phase:
            raise errors.VisitStepRefused(self.appointment_id, reason, message,
                                          phase=self.phase or self.status)

    def withdraw_duplicate(self, now: dt.datetime) -> bool:
        """Release a slot held twice after two patient records were merged.

        Returns True when that cancelled a visit still to happen (and is worth
        announcing); a past visit recorded twice becomes entered-in-error.
        """
        if Status.CANCELLED in TRANSITIONS.get(Status(self.status), ()):
            self._move(Status.CANCELLED, now)
            self.cancel_reason = "duplicate_patient"
            self.cancelled_by = Initiator.CLINIC
            return True
        self._move(Status.ENTERED_IN_ERROR, now)
        return False

    def _require_started(self, now: dt.datetime) -> None:
        if now < self.start_time:
            raise errors.AppointmentNotStarted(self.appointment_id)

    def _move(self, wanted: Status, now: dt.datetime) -> None:
        if wanted not in TRANSITIONS.get(Status(self.status), frozenset()):
            raise errors.InvalidStatusTransition(self.appointment_id, self.status, wanted)
        self.status = wanted
        self.updated_at = now
        for booking in [*self.resources, *self.staff]:
            booking.active = wanted in HOLDING
