"""A scheduling service on a real socket and database, fed intake events by hand."""

from __future__ import annotations

import datetime as dt
import itertools

import grpc
import pytest
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import (
    appointment_pb2,
    appointment_service_pb2_grpc,
    appointment_type_service_pb2_grpc,
    location_pb2,
    location_service_pb2_grpc,
    staff_pb2,
    staff_service_pb2_grpc,
    visit_service_pb2_grpc,
)
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import location_service_pb2 as loc_pb
from clinic.scheduling.v1 import staff_service_pb2 as staff_api
from clinic_common.config import KafkaSettings
from clinic_common.publisher import InMemoryPublisher
from clinic_common.runtime import Runtime
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from clinic_devtools.testing.infra import migrated
from clinic_scheduling.bootstrap import add_services, build_spec
from clinic_scheduling.config import SchedulingSettings
from google.protobuf.timestamp_pb2 import Timestamp

from tests.conftest import service_database_url
from tests.scheduling.helpers import FakeClock, intake_record

# The roles of a fixture location's roster, and the prefix of their ids.
ROSTER_ROLES = ((staff_pb2.STAFF_ROLE_RN, "rn"), (staff_pb2.STAFF_ROLE_PROVIDER, "provider"),
                (staff_pb2.STAFF_ROLE_TMS_TECHNICIAN, "tech"))
# Monday 1 March 2027, 04:00 in San Diego: every test books in the days after.
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
# Candidacy decisions fed by hand are dated from here, a minute apart, in feeding order.
DECISIONS_FROM = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)


class Scheduling:
    """The running service as a test drives it."""

    def __init__(self, channel, runtime: Runtime, clock: FakeClock, address: str = ""):
        self.address = address
        self.location_api = location_service_pb2_grpc.LocationServiceStub(channel)
        self.type_api = appointment_type_service_pb2_grpc.AppointmentTypeServiceStub(
            channel)
        self.appointment_api = appointment_service_pb2_grpc.AppointmentServiceStub(channel)
        self.visit_api = visit_service_pb2_grpc.VisitServiceStub(channel)
        self.staff_api = staff_service_pb2_grpc.StaffServiceStub(channel)
        self.runtime = runtime
        self.clock = clock
        self.processor = runtime.processor()
        self._sequence = itertools.count(1)

    def feed(self, message, **kwargs) -> str:
        return self.processor.process(intake_record(message, **kwargs))

    def register(self, patient_id: str) -> str:
        self.feed(intake.PatientRegistered(patient_id=patient_id), key=patient_id)
        return patient_id

    def decide(self, patient_id: str, modality: int = intake.MODALITY_IV_KETAMINE,
               outcome: int = intake.CANDIDACY_OUTCOME_CLEARED,
               at: dt.datetime | None = None) -> str:
        """Feed intake's candidacy decision; each one is later than the last unless ``at``."""
        number = next(self._sequence)
        decision = intake.CandidacyDecided(
            patient_id=patient_id, decision_id=f"d-{patient_id}-{number}", modality=modality,
            outcome=outcome, decided_by="dr-1")
        decision.decide_time.FromDatetime(at or DECISIONS_FROM + dt.timedelta(minutes=number))
        assert self.feed(decision, key=patient_id) == "handled"
        return decision.decision_id

    def start_plan(self, patient_id: str, modality: int = intake.MODALITY_IV_KETAMINE,
                   dose_mcg: int = 35_000, indication_code: str = "F33.2",
                   duration_minutes: int = 0) -> str:
        """Feed intake's new treatment plan; returns its id."""
        plan = intake.TreatmentPlanCreated(
            patient_id=patient_id, plan_id=f"plan-{patient_id}-{next(self._sequence)}",
            version=1, modality=modality, indication_code=indication_code, series_sessions=6,
            min_spacing_hours=24, dose_mcg=dose_mcg, duration_minutes=duration_minutes)
        assert self.feed(plan, key=patient_id) == "handled"
        return plan.plan_id

    def end_plan(self, patient_id: str, plan_id: str) -> None:
        assert self.feed(intake.TreatmentPlanEnded(patient_id=patient_id, plan_id=plan_id,
                                                   reason="completed"),
                         key=patient_id) == "handled"

    def clear(self, patient_id: str, modality: int = intake.MODALITY_IV_KETAMINE,
              **plan) -> str:
        """A clearance and an active plan for ``modality``, as intake announces them; what a
        treatment booking needs. Returns the plan id."""
        self.decide(patient_id, modality)
        return self.start_plan(patient_id, modality, **plan)

    def events(self) -> list:
        with self.runtime.session_factory() as session:
            return self.runtime.outbox.pending(session, 1000)

    def create_location(self, location_id: str = "la-jolla", roster: bool = True, **fields):
        """Creates the location; with ``roster``, its staff (see :meth:`add_roster`): a test
        that keeps its own staff passes roster=False."""
        location = location_pb2.Location(display_name="La Jolla",
                                          time_zone="America/Los_Angeles",
                                          certifications=["SPRAVATO_REMS"], resources=[
            location_pb2.Resource(resource_id=rid, kind=kind, display_name=rid)
            for rid, kind in [("consult-1", location_pb2.RESOURCE_KIND_CONSULT_ROOM),
                              ("chair-1", location_pb2.RESOURCE_KIND_INFUSION_CHAIR),
                              ("chair-2", location_pb2.RESOURCE_KIND_INFUSION_CHAIR),
                              ("room-1", location_pb2.RESOURCE_KIND_TREATMENT_ROOM),
                              ("tms-1", location_pb2.RESOURCE_KIND_TMS_DEVICE)]])
        for key, value in fields.items():
            location.ClearField(key)
            if isinstance(value, list):
                getattr(location, key).extend(value)
            else:
                setattr(location, key, value)
        created = self.location_api.CreateLocation(loc_pb.CreateLocationRequest(
            location_id=location_id, location=location)).location
        if roster:
            self.add_roster(created)
        return created

    def add_roster(self, location) -> None:
        """Two of each role a visit needs (RN, provider, TMS technician), on shift
        whenever the location is open: every visit there is staffed."""
        shifts = [staff_pb2.Shift(location_id=location.location_id, weekday=h.weekday,
                                  start_time=h.open_time, end_time=h.close_time)
                  for h in location.weekly_hours]
        for role, prefix in ROSTER_ROLES:
            for n in (1, 2):
                staff_member_id = f"{prefix}-{location.location_id}-{n}"
                self.staff_api.CreateStaffMember(staff_api.CreateStaffMemberRequest(
                    staff_member_id=staff_member_id, staff_member=staff_pb2.StaffMember(
                        display_name=staff_member_id, role=role,
                        location_ids=[location.location_id], shifts=shifts)))

    def book(self, patient_id: str, start: dt.datetime, kind: str = "IV_KETAMINE_INFUSION",
             location_id: str = "la-jolla", resource_ids=(), request_id: str = "",
             end: dt.datetime | None = None):
        appointment = appointment_pb2.Appointment(
            patient_id=patient_id, appointment_type=kind, start_time=stamp(start),
            resource_ids=list(resource_ids))
        if end is not None:
            appointment.end_time.CopyFrom(stamp(end))
        return self.appointment_api.CreateAppointment(appt_pb.CreateAppointmentRequest(
            parent=f"locations/{location_id}", appointment=appointment,
            request_id=request_id)).appointment

    def appointments(self, **request) -> list:
        found, token = [], ""
        parent = request.pop("parent", "locations/-")
        while True:
            page = self.appointment_api.ListAppointments(appt_pb.ListAppointmentsRequest(
                parent=parent, page_token=token, **request))
            found += page.appointments
            token = page.next_page_token
            if not token:
                return found


def stamp(value: dt.datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Scheduling's own database, on SQLite and on PostgreSQL."""
    return service_database_url(request, tmp_path, build_spec())


def start_service(database_url: str, clock: FakeClock, **settings):
    # No background sweeper unless a test asks for one: a test that moves its clock sweeps
    # by hand (clinic_scheduling.service_layer.waitlist.sweep), so its events are its own.
    settings.setdefault("sweep_seconds", 0)
    runtime = Runtime(build_spec(), SchedulingSettings(database_url=database_url, **settings),
                      KafkaSettings(), publisher=InMemoryPublisher(), clock=clock)
    migrated(runtime)
    host = ServiceHost("scheduling", host="127.0.0.1", port=0,
                       edge=runtime.edge(auth.verifier()))
    add_services(host, runtime)
    host.start()
    return host, runtime


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def scheduling(database_url, clock):
    host, runtime = start_service(database_url, clock)
    address = f"127.0.0.1:{host.port}"
    channel = auth.authorized(grpc.insecure_channel(address))
    yield Scheduling(channel, runtime, clock, address)
    channel.close()
    host.stop()
    runtime.close()
