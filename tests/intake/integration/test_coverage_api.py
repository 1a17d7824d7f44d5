"""CoverageService over gRPC on SQLite and PostgreSQL: ordered coverages, in force on a date."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import coverage_pb2
from clinic.intake.v1 import coverage_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2 as intake_pb

from tests.intake.support import (
    FRONT_DESK,
    NO_TOKEN,
    STAFF,
    date,
    event_types,
    outbox,
    reason,
    refused,
)
from tests.intake.support import register as _register


def _coverage(**fields) -> coverage_pb2.Coverage:
    message = coverage_pb2.Coverage(
        payer_id="60054", payer_name="Aetna", member_id="W123", group_number="G1",
        subscriber_relationship=coverage_pb2.SUBSCRIBER_RELATIONSHIP_SELF,
        plan_type=coverage_pb2.PLAN_TYPE_PPO, priority=1,
        card_front_image_uri="s3://cards/w123-front.jpg")
    message.effective_date.CopyFrom(date(dt.date(2026, 1, 1)))
    for key, value in fields.items():
        if isinstance(value, dt.date):
            getattr(message, key).CopyFrom(date(value))
        else:
            setattr(message, key, value)
    return message


def _add(api, parent, metadata=FRONT_DESK, **fields):
    return api.coverages.CreateCoverage(pb.CreateCoverageRequest(
        parent=parent, coverage=_coverage(**fields)), metadata=metadata).coverage


def _active(api, parent, day):
    return api.coverages.ListActiveCoverages(pb.ListActiveCoveragesRequest(
        parent=parent, date=date(day))).coverages


@pytest.fixture
def ana(api):
    return _register(api)


def test_coverages_are_listed_primary_first_and_announced(api, ana):
    secondary = _add(api, ana.name, payer_id="BS001", member_id="B9", priority=2)
    primary = _add(api, ana.name)
    listed = api.coverages.ListCoverages(pb.ListCoveragesRequest(parent=ana.name)).coverages
    assert [c.name for c in listed] == [primary.name, secondary.name]
    added = [e for name, _, e in outbox(api.runtime) if name == "CoverageAdded"]
    assert [(e.coverage_id, e.priority, e.payer_id, e.plan_type, e.subscriber_relationship)
            for e in added] == [(secondary.coverage_id, 2, "BS001", "PPO", "self"),
                                (primary.coverage_id, 1, "60054", "PPO", "self")]
    assert {key for name, key, _ in outbox(api.runtime)} == {ana.patient_id}


def test_active_coverages_on_a_date_follow_the_coverage_dates(api, ana):
    old = _add(api, ana.name, member_id="OLD", effective_date=dt.date(2025, 1, 1),
               end_date=dt.date(2025, 12, 31))
    new = _add(api, ana.name, member_id="NEW")
    secondary = _add(api, ana.name, payer_id="BS001", priority=2,
                     effective_date=dt.date(2025, 6, 1))
    assert [c.name for c in _active(api, ana.name, dt.date(2025, 7, 1))] == \
        [old.name, secondary.name]
    assert [c.name for c in _active(api, ana.name, dt.date(2026, 2, 1))] == \
        [new.name, secondary.name]
    assert _active(api, ana.name, dt.date(2024, 2, 1)) == []


def test_second_primary_in_force_on_the_same_days_is_refused(api, ana):
    _add(api, ana.name)
    error = refused(_add, api, ana.name, payer_id="BS001", member_id="B9",
                    effective_date=dt.date(2026, 6, 1))
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "COVERAGE_PRIORITY_TAKEN")
    assert len(api.coverages.ListCoverages(pb.ListCoveragesRequest(parent=ana.name))
               .coverages) == 1
    assert event_types(api.runtime).count("CoverageAdded") == 1


def test_same_payer_and_member_id_again_already_exists(api, ana):
    _add(api, ana.name)
    error = refused(_add, api, ana.name, priority=2)
    assert (error.code(), reason(error)) == (grpc.StatusCode.ALREADY_EXISTS, "COVERAGE_EXISTS")


@pytest.mark.parametrize(("fields", "field"), [
    ({"subscriber_relationship": coverage_pb2.SUBSCRIBER_RELATIONSHIP_SPOUSE},
     "coverage.subscriber_name"),
    ({"priority": 4}, "coverage.priority"),
    ({"member_id": ""}, "coverage.member_id"),
    ({"end_date": dt.date(2025, 1, 1)}, "coverage.end_date"),
    ({"card_back_image_uri": "not a reference"}, "coverage.card_back_image_uri"),
])
def test_malformed_coverage_is_invalid_and_stores_nothing(api, ana, fields, field):
    error = refused(_add, api, ana.name, **fields)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()
    assert event_types(api.runtime) == ["PatientRegistered"]


def test_spouse_subscriber_needs_name_and_birth_date(api, ana):
    added = _add(api, ana.name, subscriber_relationship=coverage_pb2.SUBSCRIBER_RELATIONSHIP_SPOUSE,
                 subscriber_name="Luis Reyes", subscriber_date_of_birth=dt.date(1980, 2, 2))
    assert (added.subscriber_name, added.subscriber_date_of_birth.year) == ("Luis Reyes", 1980)


def test_ending_a_coverage_keeps_its_earlier_revision_and_announces_it(api, ana):
    added = _add(api, ana.name)
    ended = api.coverages.EndCoverage(pb.EndCoverageRequest(
        name=added.name, end_date=date(dt.date(2026, 3, 31))), metadata=STAFF).coverage
    assert (ended.ended, ended.end_date.month, ended.revision) == (True, 3, 2)
    assert _active(api, ana.name, dt.date(2026, 4, 1)) == []
    revisions = api.patients.ListRecordRevisions(intake_pb.ListRecordRevisionsRequest(
        record=added.name)).revisions
    assert [(r.revision, r.snapshot["ended"], r.changed_by) for r in revisions] == \
        [(1, False, "desk-1"), (2, True, "dr-lee")]
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key, event.coverage_id, event.end_date.day) == \
        ("CoverageEnded", ana.patient_id, added.coverage_id, 31)


def test_ending_twice_or_before_it_began_is_a_failed_precondition(api, ana):
    added = _add(api, ana.name)
    early = refused(api.coverages.EndCoverage, pb.EndCoverageRequest(
        name=added.name, end_date=date(dt.date(2025, 12, 1))), metadata=STAFF)
    assert reason(early) == "END_BEFORE_EFFECTIVE_DATE"
    api.coverages.EndCoverage(pb.EndCoverageRequest(
        name=added.name, end_date=date(dt.date(2026, 3, 31))), metadata=STAFF)
    twice = refused(api.coverages.EndCoverage, pb.EndCoverageRequest(
        name=added.name, end_date=date(dt.date(2026, 3, 1))), metadata=STAFF)
    assert (twice.code(), reason(twice)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "COVERAGE_ALREADY_ENDED")
    assert event_types(api.runtime).count("CoverageEnded") == 1


def test_coverage_of_another_patient_is_not_found(api, ana):
    added = _add(api, ana.name)
    bea = _register(api, given_name="Bea", phone="+16195550999")
    error = refused(api.coverages.GetCoverage, pb.GetCoverageRequest(
        name=added.name.replace(ana.patient_id, bea.patient_id)))
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND, "COVERAGE_NOT_FOUND")


def test_changes_without_staff_id_are_unauthenticated(api, ana):
    error = refused(_add, api, ana.name, metadata=NO_TOKEN)
    assert (error.code(), reason(error)) == (grpc.StatusCode.UNAUTHENTICATED,
                                             "UNAUTHENTICATED")


def test_active_coverages_need_a_date(api, ana):
    error = refused(api.coverages.ListActiveCoverages,
                    pb.ListActiveCoveragesRequest(parent=ana.name))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_merge_moves_coverages_to_the_survivor(api, ana):
    bea = _register(api, given_name="Bea", phone="+16195550999")
    moved = _add(api, bea.name, priority=2)
    api.patients.MergePatients(intake_pb.MergePatientsRequest(
        surviving_patient=ana.name, merged_patient=bea.name), metadata=STAFF)
    listed = api.coverages.ListCoverages(pb.ListCoveragesRequest(parent=ana.name)).coverages
    assert [c.coverage_id for c in listed] == [moved.coverage_id]


def test_merge_that_would_give_two_primaries_is_refused(api, ana):
    bea = _register(api, given_name="Bea", phone="+16195550999")
    _add(api, ana.name)
    _add(api, bea.name, payer_id="BS001")
    error = refused(api.patients.MergePatients, intake_pb.MergePatientsRequest(
        surviving_patient=ana.name, merged_patient=bea.name), metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "MERGE_COVERAGE_CONFLICT")
    assert "PatientMerged" not in event_types(api.runtime)
