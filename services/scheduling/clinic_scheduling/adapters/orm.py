"""The mapping of scheduling's domain classes onto its tables (imperative, cosmicpython style)."""

from sqlalchemy.orm import registry, relationship

from clinic_scheduling.adapters import tables as t
from clinic_scheduling.adapters.tables import metadata
from clinic_scheduling.domain import appointment as ap
from clinic_scheduling.domain import appointment_type as at
from clinic_scheduling.domain import location as loc
from clinic_scheduling.domain import projections as pj
from clinic_scheduling.domain import staff as st
from clinic_scheduling.domain import visit as vi

__all__ = ["metadata", "start_mappers"]

mapper_registry = registry(metadata=metadata)
_mapped = False


def _children(cls, order_by):
    """A child collection loaded with its parent, whose rows live and die with it."""
    return relationship(cls, order_by=order_by, cascade="all, delete-orphan", lazy="selectin")


def _map_locations() -> None:
    mapper_registry.map_imperatively(loc.OpeningHours, t.location_hours)
    mapper_registry.map_imperatively(loc.Closure, t.location_closures,
                                     properties={"date": t.location_closures.c.closure_date})
    mapper_registry.map_imperatively(loc.Certification, t.location_certifications)
    mapper_registry.map_imperatively(loc.Resource, t.location_resources)
    mapper_registry.map_imperatively(loc.OfferedType, t.location_appointment_types)
    mapper_registry.map_imperatively(loc.Location, t.locations, properties={
        "weekly_hours": _children(loc.OpeningHours, [t.location_hours.c.weekday,
                                                     t.location_hours.c.open_time]),
        "closures": _children(loc.Closure, t.location_closures.c.closure_date),
        "certifications": _children(loc.Certification, t.location_certifications.c.code),
        "resources": _children(loc.Resource, t.location_resources.c.resource_id),
        "offered_types": _children(loc.OfferedType, t.location_appointment_types.c.code),
    })


def _map_appointment_types() -> None:
    mapper_registry.map_imperatively(at.Need, t.appointment_type_needs)
    mapper_registry.map_imperatively(at.BillableLine, t.appointment_type_lines)
    parts = t.appointment_type_parts
    mapper_registry.map_imperatively(at.Part, parts, properties={
        "resource_codes": parts.c.resource_kinds, "staff_codes": parts.c.staff_roles})
    mapper_registry.map_imperatively(at.AppointmentType, t.appointment_types, properties={
        "needs": _children(at.Need, [t.appointment_type_needs.c.need_kind,
                                     t.appointment_type_needs.c.code]),
        "lines": _children(at.BillableLine, t.appointment_type_lines.c.position),
        "parts": _children(at.Part, t.appointment_type_parts.c.position),
    })


def _map_appointments() -> None:
    mapper_registry.map_imperatively(ap.ResourceBooking, t.appointment_resources)
    mapper_registry.map_imperatively(ap.HistoryEntry, t.appointment_history)
    mapper_registry.map_imperatively(ap.StaffAssignment, t.appointment_staff)
    mapper_registry.map_imperatively(vi.VitalSigns, t.appointment_vitals)
    mapper_registry.map_imperatively(ap.Appointment, t.appointments, properties={
        "resources": _children(ap.ResourceBooking, t.appointment_resources.c.resource_id),
        "staff": _children(ap.StaffAssignment, [t.appointment_staff.c.role,
                                                t.appointment_staff.c.staff_member_id]),
        "history": _children(ap.HistoryEntry, t.appointment_history.c.revision),
        "vitals": _children(vi.VitalSigns, [t.appointment_vitals.c.taken_at,
                                            t.appointment_vitals.c.vitals_id]),
    })


def _map_projections() -> None:
    mapper_registry.map_imperatively(pj.KnownPatient, t.known_patients)
    mapper_registry.map_imperatively(pj.Clearance, t.clearances)
    mapper_registry.map_imperatively(pj.TreatmentPlan, t.treatment_plans)
    mapper_registry.map_imperatively(pj.SafetyFlag, t.safety_flags)


def _map_staff() -> None:
    mapper_registry.map_imperatively(st.StaffLocation, t.staff_locations)
    mapper_registry.map_imperatively(st.Shift, t.staff_shifts)
    mapper_registry.map_imperatively(st.TimeOff, t.staff_time_off)
    mapper_registry.map_imperatively(st.StaffMember, t.staff_members, properties={
        "locations": _children(st.StaffLocation, t.staff_locations.c.location_id),
        "shifts": _children(st.Shift, [t.staff_shifts.c.weekday, t.staff_shifts.c.start_time]),
        "time_off": _children(st.TimeOff, t.staff_time_off.c.start_time),
    })


def start_mappers() -> None:
    """Map domain classes to tables, once per process."""
    global _mapped
    if _mapped:
        return
    _map_locations()
    _map_appointment_types()
    _map_appointments()
    _map_projections()
    _map_staff()
    _mapped = True
