"""Scheduling's tables. Migration 0001 creates the same schema (plus, on PostgreSQL, the
exclusion constraints that make double booking impossible under concurrency)."""

from clinic_common.db import UtcDateTime, new_metadata, platform_tables
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Time,
    UniqueConstraint,
    false,
    text,
    true,
)

metadata = new_metadata()
platform_tables(metadata)


def _location_fk() -> ForeignKey:
    return ForeignKey("locations.location_id", ondelete="CASCADE")


locations = Table(
    "locations", metadata,
    Column("location_id", String(63), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("revision", Integer, nullable=False, server_default="1"),
)
location_hours = Table(
    "location_hours", metadata,
    Column("location_id", String(63), _location_fk(), primary_key=True),
    Column("weekday", SmallInteger, primary_key=True),
    Column("open_time", Time, primary_key=True),
    Column("close_time", Time, nullable=False),
)
location_closures = Table(
    "location_closures", metadata,
    Column("location_id", String(63), _location_fk(), primary_key=True),
    Column("closure_date", Date, primary_key=True),
    Column("reason", String(200), nullable=False),
)
location_certifications = Table(
    "location_certifications", metadata,
    Column("location_id", String(63), _location_fk(), primary_key=True),
    Column("code", String(64), primary_key=True),
)
location_appointment_types = Table(
    "location_appointment_types", metadata,
    Column("location_id", String(63), _location_fk(), primary_key=True),
    Column("code", String(64), primary_key=True),
)
location_resources = Table(
    "location_resources", metadata,
    Column("location_id", String(63), _location_fk(), primary_key=True),
    Column("resource_id", String(63), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("display_name", String(200), nullable=False),
)

appointment_types = Table(
    "appointment_types", metadata,
    Column("code", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("observation_minutes", Integer, nullable=False),
    Column("modality", String(32), nullable=False),
    Column("required_certification", String(64), nullable=False),
    Column("late_cancel_fee", Boolean, nullable=False, server_default=true()),
    Column("duration_from_plan", Boolean, nullable=False, server_default=false()),
    # Counted up by each update (migration 0016): processes reload a type cached before.
    Column("revision", Integer, nullable=False, server_default="0"),
)
appointment_type_needs = Table(
    "appointment_type_needs", metadata,
    Column("type_code", String(64), ForeignKey("appointment_types.code", ondelete="CASCADE"),
           primary_key=True),
    Column("need_kind", String(16), primary_key=True),
    Column("code", String(64), primary_key=True),
)
# The visit's parts in order (migration 0017): what each holds, space-separated codes.
appointment_type_parts = Table(
    "appointment_type_parts", metadata,
    Column("type_code", String(64), ForeignKey("appointment_types.code", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("length_from_plan", Boolean, nullable=False, server_default=false()),
    Column("min_minutes", Integer, nullable=False, server_default="0"),
    Column("max_minutes", Integer, nullable=False, server_default="0"),
    Column("resource_kinds", String(200), nullable=False, server_default=""),
    Column("staff_roles", String(200), nullable=False, server_default=""),
)
appointment_type_lines = Table(
    "appointment_type_lines", metadata,
    Column("type_code", String(64), ForeignKey("appointment_types.code", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("procedure_code", String(16), nullable=False),
    Column("units", Integer, nullable=False),
    Column("units_from_dose", Boolean, nullable=False),
    Column("dose_above_mg", Integer),
    Column("dose_at_most_mg", Integer),
)

appointments = Table(
    "appointments", metadata,
    Column("appointment_id", String(32), primary_key=True),
    Column("location_id", String(63), ForeignKey("locations.location_id"), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("appointment_type", String(64), ForeignKey("appointment_types.code"), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("service_date", Date, nullable=False),
    Column("status", String(24), nullable=False),
    Column("cancel_reason", String(64), nullable=False),
    Column("late_cancellation", Boolean, nullable=False),
    Column("cancelled_by", String(16), nullable=False, server_default=""),
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("rendering_provider_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The visit day (migration 0011).
    Column("checked_in_at", UtcDateTime),
    Column("escort_confirmed", Boolean, nullable=False, server_default=false()),
    Column("fasting_confirmed", Boolean, nullable=False, server_default=false()),
    Column("started_at", UtcDateTime),
    Column("drug", String(64), nullable=False, server_default=""),
    Column("dose_given_mcg", BigInteger, nullable=False, server_default="0"),
    Column("lot_number", String(64), nullable=False, server_default=""),
    Column("started_by", String(64), nullable=False, server_default=""),
    Column("ended_at", UtcDateTime),
    Column("discharged_at", UtcDateTime),
    Column("escort_name", String(200), nullable=False, server_default=""),
    # The treatment series it belongs to, "" when none (migration 0012).
    Column("series_id", String(32), nullable=False, server_default=""),
    # What the clinician reported at completion for billing (migration 0019).
    Column("em_level", Integer, nullable=False, server_default="0"),
    Column("provider_credential", String(16), nullable=False, server_default=""),
    Column("motor_threshold_redetermined", Boolean, nullable=False, server_default=false()),
    Column("drug_wasted_mcg", BigInteger),
    CheckConstraint("end_time > start_time", name="ends_after_start"),
)
Index("ix_appointments_start", appointments.c.start_time, appointments.c.appointment_id)
Index("ix_appointments_location_start", appointments.c.location_id, appointments.c.start_time)
Index("ix_appointments_patient_start", appointments.c.patient_id, appointments.c.start_time)
Index("ix_appointments_service_date", appointments.c.service_date)
Index("ix_appointments_patient_series", appointments.c.patient_id, appointments.c.series_id)

# Slot holds (migration 0013): a slot's resources kept for a booking for a few minutes.
slot_holds = Table(
    "slot_holds", metadata,
    Column("hold_id", String(32), primary_key=True),
    Column("location_id", String(63), ForeignKey("locations.location_id"), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("appointment_type", String(64), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("resource_list", String(500), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_slot_holds_location_start", slot_holds.c.location_id, slot_holds.c.start_time)
# The staff a hold keeps (migration 0018_hold_staff): counted as assigned while it is held.
slot_hold_staff = Table(
    "slot_hold_staff", metadata,
    Column("hold_id", String(32), ForeignKey("slot_holds.hold_id", ondelete="CASCADE"),
           primary_key=True),
    Column("staff_member_id", String(63), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("exclusive", Boolean, nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
)
Index("ix_slot_hold_staff_slot", slot_hold_staff.c.staff_member_id, slot_hold_staff.c.start_time)

# A treatment series' preferences as BookSeries was given them (migration 0018_hold_staff):
# read by a front desk (GetSeries) and by RebookSeriesSession's next available slot.
series_preferences = Table(
    "series_preferences", metadata,
    Column("series_id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("weekday_list", String(20), nullable=False),  # comma-separated ISO weekdays
    Column("earliest_start", Time),
    Column("latest_start", Time),
    Column("location_list", String(1000), nullable=False),  # in order of preference
    Column("start_date", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

appointment_resources = Table(
    "appointment_resources", metadata,
    Column("appointment_id", String(32),
           ForeignKey("appointments.appointment_id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", String(63), primary_key=True),
    Column("location_id", String(63), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
)
Index("ix_appointment_resources_slot", appointment_resources.c.location_id,
      appointment_resources.c.resource_id, appointment_resources.c.start_time)

appointment_history = Table(
    "appointment_history", metadata,
    Column("appointment_id", String(32),
           ForeignKey("appointments.appointment_id", ondelete="CASCADE"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("resource_list", String(1000), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

appointment_vitals = Table(
    "appointment_vitals", metadata,
    Column("vitals_id", String(32), primary_key=True),
    Column("appointment_id", String(32),
           ForeignKey("appointments.appointment_id", ondelete="CASCADE"), nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
    Column("systolic_mmhg", Integer, nullable=False),
    Column("diastolic_mmhg", Integer, nullable=False),
    Column("pulse_bpm", Integer, nullable=False),
    Column("spo2_percent", Integer, nullable=False),
    Column("recorded_by", String(64), nullable=False),
)
Index("ix_appointment_vitals_appointment", appointment_vitals.c.appointment_id,
      appointment_vitals.c.taken_at)

safety_flags = Table(
    "safety_flags", metadata,
    Column("flag_id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime),
)
Index("ix_safety_flags_patient", safety_flags.c.patient_id)

known_patients = Table(
    "known_patients", metadata,
    Column("patient_id", String(64), primary_key=True),
    Column("preferred_location_id", String(64), nullable=False),
    Column("merged_into", String(64)),
    Column("registered_at", UtcDateTime),
)
Index("ix_known_patients_merged_into", known_patients.c.merged_into)

clearances = Table(
    "clearances", metadata,
    Column("decision_id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("modality", String(32), nullable=False),
    Column("outcome", String(48), nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("escort_required", Boolean, nullable=False, server_default=false()),
    Column("fasting_instruction", String(500), nullable=False, server_default=""),
)
Index("ix_clearances_patient", clearances.c.patient_id, clearances.c.modality,
      clearances.c.decided_at)

treatment_plans = Table(
    "treatment_plans", metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("modality", String(32), nullable=False),
    Column("indication_code", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("series_sessions", Integer, nullable=False),
    Column("min_spacing_hours", Integer, nullable=False),
    Column("series_window_days", Integer, nullable=False),
    Column("dose_mcg", BigInteger, nullable=False),
    Column("duration_minutes", Integer, nullable=False, server_default="0"),
    Column("weight_measured_at", UtcDateTime),  # migration 0011
    Column("status", String(16), nullable=False),
    Column("end_reason", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)
Index("ix_treatment_plans_patient", treatment_plans.c.patient_id, treatment_plans.c.modality)

staff_members = Table(
    "staff_members", metadata,
    Column("staff_member_id", String(63), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("revision", Integer, nullable=False, server_default="1"),
)


def _staff_fk() -> ForeignKey:
    return ForeignKey("staff_members.staff_member_id", ondelete="CASCADE")


staff_locations = Table(
    "staff_locations", metadata,
    Column("staff_member_id", String(63), _staff_fk(), primary_key=True),
    Column("location_id", String(63), ForeignKey("locations.location_id"), primary_key=True),
)
Index("ix_staff_locations_location", staff_locations.c.location_id)
staff_shifts = Table(
    "staff_shifts", metadata,
    Column("staff_member_id", String(63), _staff_fk(), primary_key=True),
    Column("location_id", String(63), primary_key=True),
    Column("weekday", SmallInteger, primary_key=True),
    Column("start_time", Time, primary_key=True),
    Column("end_time", Time, nullable=False),
)
staff_time_off = Table(
    "staff_time_off", metadata,
    Column("staff_member_id", String(63), _staff_fk(), primary_key=True),
    Column("start_time", UtcDateTime, primary_key=True),
    Column("end_time", UtcDateTime, nullable=False),
    Column("reason", String(200), nullable=False),
)

appointment_staff = Table(
    "appointment_staff", metadata,
    Column("appointment_id", String(32),
           ForeignKey("appointments.appointment_id", ondelete="CASCADE"), primary_key=True),
    Column("staff_member_id", String(63), ForeignKey("staff_members.staff_member_id"),
           primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("location_id", String(63), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("exclusive", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
)
Index("ix_appointment_staff_slot", appointment_staff.c.staff_member_id,
      appointment_staff.c.start_time)

# The waitlist (migration 0014_waitlist): patients waiting for an earlier slot, in the
# order they joined (position), and the offers of freed slots made to them.
OPEN_OFFER = text("status = 'OFFERED'")
waitlist_entries = Table(
    "waitlist_entries", metadata,
    Column("entry_id", String(32), primary_key=True),
    Column("position", Integer, nullable=False, unique=True),
    Column("patient_id", String(64), nullable=False),
    Column("appointment_type", String(64), nullable=False),
    Column("location_list", String(1000), nullable=False),  # comma-separated; empty: any
    Column("earliest_start", UtcDateTime, nullable=False),
    Column("latest_start", UtcDateTime, nullable=False),
    Column("current_location_id", String(63), nullable=False),
    Column("current_appointment_id", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("appointment_id", String(32), nullable=False),
    Column("appointment_location_id", String(63), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_waitlist_entries_type_status", waitlist_entries.c.appointment_type,
      waitlist_entries.c.status, waitlist_entries.c.position)
Index("ix_waitlist_entries_patient", waitlist_entries.c.patient_id, waitlist_entries.c.position)

waitlist_offers = Table(
    "waitlist_offers", metadata,
    Column("offer_id", String(32), primary_key=True),
    Column("entry_id", String(32), ForeignKey("waitlist_entries.entry_id"), nullable=False),
    Column("slot_key", String(120), nullable=False),
    Column("hold_id", String(32), nullable=False),
    Column("location_id", String(63), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("entry_id", "slot_key", name="uq_waitlist_offers_entry_slot"),
)
Index("uq_waitlist_offers_open_entry", waitlist_offers.c.entry_id, unique=True,
      sqlite_where=OPEN_OFFER, postgresql_where=OPEN_OFFER)
Index("uq_waitlist_offers_open_slot", waitlist_offers.c.slot_key, unique=True,
      sqlite_where=OPEN_OFFER, postgresql_where=OPEN_OFFER)
Index("ix_waitlist_offers_status_expiry", waitlist_offers.c.status, waitlist_offers.c.expires_at)
