"""Who may call each of scheduling's methods: one rule per method (see clinic_common.access).

Scheduling is where location scope bites: every appointment lives at a location,
and staff other than billing, ops and admins act only at the locations in their
token. A list over "locations/-" shows only those locations, and a name
"locations/-/appointments/{id}" finds an appointment only at them. Ops and admins
keep the locations themselves (hours, resources, certifications). Appointment types
are the organization's: every staff member may read them.
"""

from __future__ import annotations

from clinic.scheduling.v1 import (
    appointment_service_pb2,
    appointment_type_service_pb2,
    availability_service_pb2,
    location_service_pb2,
    series_service_pb2,
    staff_service_pb2,
    visit_service_pb2,
    waitlist_service_pb2,
)
from clinic_common.access import Rule, location_field, location_in, locations_in_scope, rule
from clinic_common.identity import Role
from clinic_common.names import Name

from clinic_scheduling.entrypoints.messages import ANY_APPOINTMENT, LOCATION, LOCATIONS

DESK, NURSE, PROVIDER, TECH = Role.FRONT_DESK, Role.NURSE, Role.PROVIDER, Role.TMS_TECHNICIAN
BILLING, OPS, ADMIN = Role.BILLING, Role.OPS, Role.ADMIN
EVERY_STAFF = (DESK, NURSE, PROVIDER, TECH, BILLING, OPS, ADMIN)
CARE_TEAM = (DESK, NURSE, PROVIDER, TECH)

AT_APPOINTMENT = location_in("name", ANY_APPOINTMENT)
HOLD = Name("locations/{location}/holds/{hold}")


def _service(module, name: str):
    return module.DESCRIPTOR.services_by_name[name]


LOCATIONS_RULES = {
    "CreateLocation": rule(OPS, ADMIN, location=location_field("location_id"), phi=False),
    "GetLocation": rule(*EVERY_STAFF, phi=False),
    "ListLocations": rule(*EVERY_STAFF, phi=False),
    "UpdateLocation": rule(OPS, ADMIN, location=location_in("location.name", LOCATION),
                           phi=False),
}

APPOINTMENT_TYPE_RULES = {
    "GetAppointmentType": rule(*EVERY_STAFF, phi=False),
    "ListAppointmentTypes": rule(*EVERY_STAFF, phi=False),
    # Ops and admins keep the types, as they keep the locations.
    "UpdateAppointmentType": rule(OPS, ADMIN, phi=False),
    "CreateAppointmentType": rule(OPS, ADMIN, phi=False),
}

# Staff are the organization's (one person may work at several locations): ops and admins
# keep them, every staff member may read the roster. No patient data.
STAFF_RULES = {
    "CreateStaffMember": rule(OPS, ADMIN, phi=False),
    "GetStaffMember": rule(*EVERY_STAFF, phi=False),
    "ListStaffMembers": rule(*EVERY_STAFF, phi=False),
    "UpdateStaffMember": rule(OPS, ADMIN, phi=False),
}

APPOINTMENT_RULES = {
    "CreateAppointment": rule(*CARE_TEAM, ADMIN, location=location_in("parent", LOCATION)),
    "GetAppointment": rule(*CARE_TEAM, BILLING, ADMIN, location=AT_APPOINTMENT),
    "ListAppointments": rule(*CARE_TEAM, BILLING, ADMIN,
                             location=location_in("parent", LOCATIONS)),
    "CancelAppointment": rule(*CARE_TEAM, ADMIN, location=AT_APPOINTMENT),
    "RescheduleAppointment": rule(*CARE_TEAM, ADMIN, location=AT_APPOINTMENT),
}

# A search names a patient (their clearance and appointments), so it is audited; it shows
# only the caller's locations.
AVAILABILITY_RULES = {
    "SearchAvailability": rule(*CARE_TEAM, ADMIN),
    "CreateHold": rule(*CARE_TEAM, ADMIN, location=location_in("parent", LOCATION)),
    "ReleaseHold": rule(*CARE_TEAM, ADMIN, location=location_in("name", HOLD)),
}

# A series is the patient's (its sessions may be at several locations): booking it books only
# at the caller's locations, and reading it shows only the sessions there.
SERIES_RULES = {
    "BookSeries": rule(*CARE_TEAM, ADMIN),
    "GetSeries": rule(*CARE_TEAM, BILLING, ADMIN),
    "ListSeries": rule(*CARE_TEAM, BILLING, ADMIN),
    "RebookSeriesSession": rule(*CARE_TEAM, ADMIN, location=AT_APPOINTMENT),
}

# A waitlist entry is the patient's (it may name several locations, or any): the care team
# keeps the waitlist. Joining names only the caller's locations; accepting books only at them.
WAITLIST_RULES = {
    "CreateWaitlistEntry": rule(*CARE_TEAM, ADMIN),
    "GetWaitlistEntry": rule(*CARE_TEAM, ADMIN),
    "ListWaitlistEntries": rule(*CARE_TEAM, ADMIN),
    "CancelWaitlistEntry": rule(*CARE_TEAM, ADMIN),
    "AcceptWaitlistOffer": rule(*CARE_TEAM, ADMIN),
    "DeclineWaitlistOffer": rule(*CARE_TEAM, ADMIN),
}

VISIT_RULES = {
    "MarkAppointmentNoShow": rule(DESK, NURSE, ADMIN, location=AT_APPOINTMENT),
    "CheckInAppointment": rule(DESK, NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
    "StartVisit": rule(NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
    "RecordVisitVitals": rule(NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
    "EndVisit": rule(NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
    "DischargeVisit": rule(NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
    "CompleteAppointment": rule(NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
}

PERMISSIONS = {
    _service(location_service_pb2, "LocationService"): LOCATIONS_RULES,
    _service(appointment_type_service_pb2, "AppointmentTypeService"): APPOINTMENT_TYPE_RULES,
    _service(appointment_service_pb2, "AppointmentService"): APPOINTMENT_RULES,
    _service(visit_service_pb2, "VisitService"): VISIT_RULES,
    _service(staff_service_pb2, "StaffService"): STAFF_RULES,
    _service(availability_service_pb2, "AvailabilityService"): AVAILABILITY_RULES,
    _service(series_service_pb2, "SeriesService"): SERIES_RULES,
    _service(waitlist_service_pb2, "WaitlistService"): WAITLIST_RULES,
}


def visible_locations(method_rule: Rule | None = None) -> frozenset[str] | None:
    """The locations the caller may see under a method's rule (None: all); by default
    the appointment list's."""
    return locations_in_scope(method_rule or APPOINTMENT_RULES["ListAppointments"])
