"""Who may call each of scheduling's methods: one rule per method (see clinic_common.access).

Scheduling is where location scope bites: every appointment lives at a location,
and staff other than billing, ops and admins act only at the locations in their
token. A list over "locations/-" shows only those locations. Ops and admins keep
the locations themselves (hours, resources, certifications).
"""

from __future__ import annotations

from clinic.scheduling.v1 import scheduling_service_pb2
from clinic_common.access import location_field, location_in, locations_in_scope, rule
from clinic_common.identity import Role

from clinic_scheduling.entrypoints.messages import APPOINTMENT, LOCATION, LOCATIONS

DESK, NURSE, PROVIDER, TECH = Role.FRONT_DESK, Role.NURSE, Role.PROVIDER, Role.TMS_TECHNICIAN
BILLING, OPS, ADMIN = Role.BILLING, Role.OPS, Role.ADMIN
EVERY_STAFF = (DESK, NURSE, PROVIDER, TECH, BILLING, OPS, ADMIN)

AT_APPOINTMENT = location_in("name", APPOINTMENT)

SCHEDULING = {
    "CreateLocation": rule(OPS, ADMIN, location=location_field("location_id"), phi=False),
    "GetLocation": rule(*EVERY_STAFF, phi=False),
    "ListLocations": rule(*EVERY_STAFF, phi=False),
    "UpdateLocation": rule(OPS, ADMIN, location=location_in("location.name", LOCATION),
                           phi=False),
    "CreateAppointment": rule(DESK, NURSE, PROVIDER, TECH, ADMIN,
                              location=location_in("parent", LOCATION)),
    "GetAppointment": rule(*EVERY_STAFF[:5], ADMIN, location=AT_APPOINTMENT),
    "ListAppointments": rule(*EVERY_STAFF[:5], ADMIN, location=location_in("parent", LOCATIONS)),
    "CancelAppointment": rule(DESK, NURSE, PROVIDER, TECH, ADMIN, location=AT_APPOINTMENT),
    "MarkAppointmentNoShow": rule(DESK, NURSE, ADMIN, location=AT_APPOINTMENT),
    "CompleteAppointment": rule(NURSE, PROVIDER, TECH, location=AT_APPOINTMENT),
}

PERMISSIONS = {
    scheduling_service_pb2.DESCRIPTOR.services_by_name["SchedulingService"]: SCHEDULING,
}


def visible_locations() -> frozenset[str] | None:
    """The locations the caller's appointment list covers (None: all)."""
    return locations_in_scope(SCHEDULING["ListAppointments"])
