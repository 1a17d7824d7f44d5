"""The API edge across the three services as processes: tokens by role and location, refusals
on the audit trail, and logs free of the patient's name, birth date and phone."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from clinic.audit.v1 import audit_service_pb2 as audit_pb
from clinic.audit.v1 import audit_service_pb2_grpc as audit_grpc
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import intake_service_pb2_grpc as intake_grpc
from clinic.intake.v1 import patient_pb2, screening_service_pb2, screening_service_pb2_grpc
from clinic.scheduling.v1 import appointment_pb2, appointment_service_pb2_grpc
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic_common.identity import Role
from clinic_common.protoconv import timestamp
from clinic_devtools.testing import auth

from tests.e2e.conftest import eventually, next_open_time

pytestmark = pytest.mark.e2e

GIVEN, FAMILY, PHONE = "Marisol", "Quintanilla-Yzaguirre", "+16195550199"
BORN = dt.date(1979, 8, 23)

DESK = auth.metadata(Role.FRONT_DESK, sub="desk-lj", locations=("la-jolla",))
NURSE_TEMECULA = auth.metadata(Role.NURSE, sub="rn-temecula", locations=("temecula",))
BILLING = auth.metadata(Role.BILLING, sub="biller-1", locations=())
ADMIN = auth.metadata(Role.ADMIN, sub="auditor")
EXPIRED = (("authorization", "Bearer " + auth.token(
    Role.FRONT_DESK, sub="desk-gone", locations=("la-jolla",), ttl=dt.timedelta(minutes=10),
    now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3))),)


def _bare(stack, name: str) -> grpc.Channel:
    """A channel with no default token: every call here brings its own."""
    return grpc.insecure_channel(stack.processes[name].address)


def _trail(channel, **filters) -> list:
    return list(audit_grpc.AuditServiceStub(channel).ListAuditEvents(
        audit_pb.ListAuditEventsRequest(**filters), metadata=ADMIN).events)


def _code(call, *args, **kwargs) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as refused:
        call(*args, **kwargs)
    return refused.value.code(), refused.value.details()


def test_roles_locations_and_tokens_are_enforced_and_every_step_is_on_the_record(stack):
    stack.apply_locations()
    with _bare(stack, "intake") as intake_channel, _bare(stack, "scheduling") as sched_channel:
        patients = intake_grpc.IntakeServiceStub(intake_channel)
        visits = appointment_service_pb2_grpc.AppointmentServiceStub(sched_channel)

        # The front desk at La Jolla registers a patient and books a consultation there.
        patient = patient_pb2.Patient(given_name=GIVEN, family_name=FAMILY, phone=PHONE,
                                      preferred_location_id="la-jolla")
        patient.date_of_birth.year, patient.date_of_birth.month, patient.date_of_birth.day = \
            BORN.year, BORN.month, BORN.day
        registered = patients.CreatePatient(intake_pb.CreatePatientRequest(patient=patient),
                                            metadata=DESK).patient
        patient_id = registered.name.split("/")[1]
        start = next_open_time(10, closed=stack.closures("la-jolla"))
        booking = appointment_pb2.Appointment(patient_id=patient_id, appointment_type="FREE_CONSULTATION",
                                              start_time=timestamp(start))
        visit = eventually(lambda: visits.CreateAppointment(appt_pb.CreateAppointmentRequest(
            parent="locations/la-jolla", appointment=booking, request_id=f"book-{patient_id}"),
            metadata=DESK).appointment)

        # A nurse who works in Temecula is refused the La Jolla visit.
        code, details = _code(visits.GetAppointment,
                              appt_pb.GetAppointmentRequest(name=visit.name),
                              metadata=NURSE_TEMECULA)
        assert code == grpc.StatusCode.PERMISSION_DENIED and "la-jolla" in details

        # Billing is refused the patient's screening answers.
        screenings = screening_service_pb2_grpc.ScreeningServiceStub(intake_channel)
        code, _ = _code(screenings.ListScreenings, screening_service_pb2.ListScreeningsRequest(
            parent=registered.name), metadata=BILLING)
        assert code == grpc.StatusCode.PERMISSION_DENIED

        # An expired token is refused, and so is no token at all.
        code, details = _code(patients.GetPatient,
                              intake_pb.GetPatientRequest(name=registered.name), metadata=EXPIRED)
        assert (code, details) == (grpc.StatusCode.UNAUTHENTICATED,
                                   "a valid bearer token is required")
        code, _ = _code(patients.GetPatient, intake_pb.GetPatientRequest(name=registered.name))
        assert code == grpc.StatusCode.UNAUTHENTICATED

        # The admin's audit query shows all of it, in each service's own trail.
        intake_trail = [(e.actor, e.method.rsplit("/", 1)[1], e.outcome)
                        for e in _trail(intake_channel, patient_id=patient_id)]
        assert ("desk-lj", "CreatePatient", "OK") in intake_trail
        assert ("biller-1", "ListScreenings", "PERMISSION_DENIED") in intake_trail
        assert ("desk-gone", "GetPatient", "UNAUTHENTICATED") in intake_trail
        scheduling_trail = [(e.actor, e.method.rsplit("/", 1)[1], e.outcome, e.location_id)
                            for e in _trail(sched_channel, patient_id=patient_id)]
        assert ("desk-lj", "CreateAppointment", "OK", "la-jolla") in scheduling_trail
        refused_visit = [e for e in _trail(sched_channel, actor="rn-temecula")]
        assert [(e.method.rsplit("/", 1)[1], e.outcome, e.reason, e.record)
                for e in refused_visit] == \
            [("GetAppointment", "PERMISSION_DENIED", "LOCATION_NOT_ALLOWED", visit.name)]

        # Only an admin reads the trail.
        code, _ = _code(audit_grpc.AuditServiceStub(intake_channel).ListAuditEvents,
                        audit_pb.ListAuditEventsRequest(patient_id=patient_id), metadata=DESK)
        assert code == grpc.StatusCode.PERMISSION_DENIED

    # Billing opened the account from intake's event: the patient crossed all three services.
    eventually(lambda: stack.account(patient_id).registered)
    stack.stop()
    logs = "\n".join(p.log_path.read_text(errors="replace") for p in stack.processes.values())
    assert '"method": "/clinic.intake.v1.IntakeService/CreatePatient"' in logs  # calls are logged
    for secret in (GIVEN, FAMILY, PHONE, PHONE[2:], BORN.isoformat(), BORN.strftime("%Y%m%d"),
                   BORN.strftime("%m/%d/%Y")):
        assert secret not in logs, f"{secret!r} found in the service logs"
