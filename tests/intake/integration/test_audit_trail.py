"""The PHI audit trail as intake keeps it: who read or changed which patient, in the same
transaction as a change, append-only, and queried by admins only."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from clinic.audit.v1 import audit_service_pb2 as audit_pb
from clinic.audit.v1 import audit_service_pb2_grpc as audit_grpc
from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import screening_service_pb2
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from tests.intake.support import FRONT_DESK, patient, reason, refused, register

ADMIN = auth.metadata(Role.ADMIN, sub="auditor")
BILLING = auth.metadata(Role.BILLING, sub="biller-1")


def trail(api, **filters) -> list:
    stub = audit_grpc.AuditServiceStub(api.channel)
    return list(stub.ListAuditEvents(audit_pb.ListAuditEventsRequest(**filters),
                                     metadata=ADMIN).events)


def rows(api) -> int:
    table = api.runtime.spec.metadata.tables["audit_log"]
    with api.runtime.session_factory() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_registering_a_patient_is_on_the_record_with_who_where_and_the_correlation_id(api):
    ana = register(api)
    patient_id = ana.name.split("/")[1]
    [event] = trail(api, patient_id=patient_id)
    assert (event.actor, event.actor_roles, event.method, event.outcome) == \
        ("desk-1", "FRONT_DESK", "/clinic.intake.v1.IntakeService/CreatePatient", "OK")
    assert event.correlation_id and event.client_address.startswith(("ipv4:", "ipv6:"))
    assert event.token_id


def test_a_read_is_on_the_record_before_the_data_leaves(api):
    ana = register(api)
    api.patients.GetPatient(pb.GetPatientRequest(name=ana.name), metadata=BILLING)
    events = trail(api, actor="biller-1")
    assert [(e.method.rsplit("/", 1)[1], e.patient_id, e.record) for e in events] == \
        [("GetPatient", ana.name.split("/")[1], ana.name)]


def test_a_list_puts_every_patient_it_shows_on_the_record(api):
    ids = {register(api, given_name=name).name.split("/")[1] for name in ("Ana", "Bea", "Cy")}
    api.patients.ListPatients(pb.ListPatientsRequest(), metadata=BILLING)
    listed = [e for e in trail(api, actor="biller-1") if e.method.endswith("/ListPatients")]
    assert {e.patient_id for e in listed} == ids


def test_a_refused_read_of_clinical_data_is_on_the_record(api):
    ana = register(api)
    error = refused(api.screenings.ListScreenings, screening_service_pb2.ListScreeningsRequest(
        parent=ana.name), metadata=BILLING)
    assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED,
                                             "ROLE_NOT_ALLOWED")
    [event] = trail(api, actor="biller-1")
    assert (event.outcome, event.reason, event.patient_id, event.record) == \
        ("PERMISSION_DENIED", "ROLE_NOT_ALLOWED", ana.name.split("/")[1], ana.name)


def test_a_refusal_gives_the_caller_the_correlation_id_of_the_log_line(api):
    ana = register(api)
    error = refused(api.screenings.ListScreenings, screening_service_pb2.ListScreeningsRequest(
        parent=ana.name), metadata=BILLING)
    trailer = dict(error.trailing_metadata())["x-correlation-id"]
    assert trail(api, actor="biller-1")[0].correlation_id == trailer


def test_an_expired_token_is_refused_and_its_holder_is_on_the_record(api):
    ana = register(api)
    stale = auth.token(Role.NURSE, sub="rn-late", ttl=dt.timedelta(minutes=5),
                       now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    error = refused(api.patients.GetPatient, pb.GetPatientRequest(name=ana.name),
                    metadata=[("authorization", f"Bearer {stale}")])
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "a valid bearer token is required"  # and nothing more
    [event] = trail(api, actor="rn-late")
    assert (event.outcome, event.reason, event.record) == \
        ("UNAUTHENTICATED", "TOKEN_EXPIRED", ana.name)


def test_a_token_nobody_signed_is_refused_and_only_logged(api):
    before = rows(api)
    for header in ("Bearer forged.token.here", "Basic YWRtaW46YWRtaW4=", ""):
        error = refused(api.patients.ListPatients, pb.ListPatientsRequest(),
                        metadata=[("authorization", header)])
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rows(api) == before


def test_a_change_and_its_audit_row_commit_together(api):
    """With the trail unwritable the change is refused and nothing of it remains; a read
    is withheld rather than served unrecorded."""
    ana = register(api)
    with api.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    try:
        error = refused(api.patients.CreatePatient, pb.CreatePatientRequest(
            patient=patient(given_name="Zed")), metadata=FRONT_DESK)
        assert (error.code(), reason(error)) == (grpc.StatusCode.UNAVAILABLE, "AUDIT_UNAVAILABLE")
        read = refused(api.patients.GetPatient, pb.GetPatientRequest(name=ana.name))
        assert (read.code(), reason(read)) == (grpc.StatusCode.UNAVAILABLE, "AUDIT_UNAVAILABLE")
    finally:
        with api.runtime.engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_log_away RENAME TO audit_log"))
    names = [p.given_name for p in api.patients.ListPatients(pb.ListPatientsRequest()).patients]
    assert names == ["Ana"]


def test_the_trail_is_append_only(api):
    register(api)
    for statement in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), \
                api.runtime.engine.begin() as connection:
            connection.execute(text(statement))
    assert rows(api) >= 1


def test_the_trail_is_queried_by_patient_staff_and_time_a_page_at_a_time(api):
    ana = register(api, given_name="Ana")
    bea = register(api, given_name="Bea", family_name="Okafor", phone="+16195550177",
                   date_of_birth=dt.date(1990, 2, 3))
    for person in (ana, bea, ana, ana):
        api.patients.GetPatient(pb.GetPatientRequest(name=person.name), metadata=BILLING)
    ana_id = ana.name.split("/")[1]
    by_biller = trail(api, actor="biller-1")
    assert len(by_biller) == 4 and {e.actor for e in by_biller} == {"biller-1"}
    assert [e.id for e in by_biller] == sorted((e.id for e in by_biller), reverse=True)
    about_ana = trail(api, patient_id=ana_id, actor="biller-1")
    assert len(about_ana) == 3 and {e.patient_id for e in about_ana} == {ana_id}
    assert {e.method.rsplit("/", 1)[1] for e in trail(api, patient_id=ana_id)} >= \
        {"CreatePatient", "GetPatient", "ListAuditEvents"}  # reading the trail is recorded too
    stub = audit_grpc.AuditServiceStub(api.channel)
    first = stub.ListAuditEvents(audit_pb.ListAuditEventsRequest(
        actor="biller-1", page_size=3), metadata=ADMIN)
    second = stub.ListAuditEvents(audit_pb.ListAuditEventsRequest(
        actor="biller-1", page_size=3, page_token=first.next_page_token), metadata=ADMIN)
    assert [e.id for e in [*first.events, *second.events]] == [e.id for e in by_biller]
    assert second.next_page_token == ""
    other = refused(stub.ListAuditEvents, audit_pb.ListAuditEventsRequest(
        actor="desk-1", page_token=first.next_page_token), metadata=ADMIN)
    assert reason(other) == "INVALID_PAGE_TOKEN"
    latest = by_biller[0].occur_time
    assert [e.id for e in trail(api, actor="biller-1", start_time=latest)] == [by_biller[0].id]
    assert len(trail(api, actor="biller-1", end_time=latest)) == 3


def test_a_merge_keeps_the_trail_under_the_ids_it_was_made_with(api):
    survivor, duplicate = register(api), register(api)
    api.patients.MergePatients(pb.MergePatientsRequest(
        surviving_patient=survivor.name, merged_patient=duplicate.name), metadata=FRONT_DESK)
    duplicate_id = duplicate.name.split("/")[1]
    methods = [e.method.rsplit("/", 1)[1] for e in trail(api, patient_id=duplicate_id)]
    assert methods == ["MergePatients", "CreatePatient"]


def test_a_refusal_naming_a_malformed_patient_is_still_on_the_record(api):
    error = refused(api.screenings.ListScreenings, screening_service_pb2.ListScreeningsRequest(
        parent="patients/" + "x" * 65), metadata=BILLING)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    [event] = trail(api, actor="biller-1")
    assert (event.outcome, event.patient_id) == ("PERMISSION_DENIED", "")


def test_front_desk_and_billing_do_not_see_safety_flags_on_the_patient(api):
    """A flag comes from a screening answer (PHQ-9 item 9): clinicians only."""
    from tests.intake.support import screen

    ana = register(api)
    screen(api, ana.name, "PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 2])
    nurse = auth.metadata(Role.NURSE, sub="rn-1", locations=("la-jolla",))
    for metadata, flags in ((nurse, 1), (FRONT_DESK, 0), (BILLING, 0)):
        shown = api.patients.GetPatient(pb.GetPatientRequest(name=ana.name), metadata=metadata)
        assert len(shown.patient.open_safety_flags) == flags
        listed = api.patients.ListPatients(pb.ListPatientsRequest(), metadata=metadata)
        assert len(listed.patients[0].open_safety_flags) == flags
