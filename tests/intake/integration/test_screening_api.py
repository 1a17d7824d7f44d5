"""ScreeningService over gRPC on SQLite and PostgreSQL: scoring, safety flags, trends."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import screening_pb2 as spb
from clinic.intake.v1 import screening_service_pb2 as pb

from tests.intake.support import (
    NO_TOKEN,
    STAFF,
    event_types,
    outbox,
    reason,
    refused,
    register,
    screen,
)

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def ana(api):
    return register(api)


def _acknowledge(api, name, metadata=STAFF):
    return api.screenings.AcknowledgeSafetyFlag(pb.AcknowledgeSafetyFlagRequest(
        name=name, note="safety plan reviewed with patient"), metadata=metadata).flag


def _patient(api, ana):
    return api.patients.GetPatient(intake_pb.GetPatientRequest(name=ana.name)).patient


def test_phq9_is_scored_and_the_score_is_announced_without_answers(api, ana):
    scored = screen(api, ana.name, values=[3, 3, 2, 2, 1, 1, 1, 1, 0], appointment_id="appt-1")
    assert (scored.total_score, scored.severity, scored.recorded_by) == \
        (14, "moderate", "dr-lee")
    assert [a.value for a in scored.answers] == [3, 3, 2, 2, 1, 1, 1, 1, 0]
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key) == ("ScreeningScored", ana.patient_id)
    assert (event.screening_id, event.instrument, event.total_score, event.severity,
            event.appointment_id) == (scored.screening_id, "PHQ-9", 14, "moderate", "appt-1")
    assert not any(f.name == "answers" for f, _ in event.ListFields())


@pytest.mark.parametrize(("instrument", "values", "total", "severity"), [
    ("GAD-7", [3, 3, 3, 3, 3, 0, 0], 15, "severe"),
    ("PCL-5", [2] * 16 + [1, 0, 0, 0], 33, "probable PTSD"),
    ("PAIN-NRS", [6], 6, "moderate"),
])
def test_other_instruments_are_scored_by_their_bands(api, ana, instrument, values, total,
                                                     severity):
    scored = screen(api, ana.name, instrument, values)
    assert (scored.total_score, scored.severity) == (total, severity)


@pytest.mark.parametrize("values", [[0] * 8, [0] * 8 + [5], [0] * 10])
def test_incomplete_or_out_of_range_answers_are_invalid_and_store_nothing(api, ana, values):
    error = refused(screen, api, ana.name, values=values)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "screening.answers" in error.details()
    assert api.screenings.ListScreenings(pb.ListScreeningsRequest(
        parent=ana.name)).screenings == []
    assert event_types(api.runtime) == ["PatientRegistered"]


def test_unknown_instrument_is_invalid(api, ana):
    error = refused(screen, api, ana.name, "BDI-II", [0] * 21)
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                             "UNKNOWN_INSTRUMENT")


def test_item_9_raises_a_safety_flag_that_shows_until_acknowledged(api, ana):
    scored = screen(api, ana.name, values=[1] * 8 + [1])
    assert len(scored.raised_flags) == 1
    name, key, raised = outbox(api.runtime)[-1]
    assert (name, key, raised.kind, raised.screening_id) == \
        ("SafetyFlagRaised", ana.patient_id, "SUICIDALITY", scored.screening_id)
    shown = _patient(api, ana).open_safety_flags
    assert [f.name for f in shown] == list(scored.raised_flags)
    flag = _acknowledge(api, shown[0].name)
    assert (flag.acknowledged, flag.acknowledged_by) == (True, "dr-lee")
    assert list(_patient(api, ana).open_safety_flags) == []
    name, _, acknowledged = outbox(api.runtime)[-1]
    assert (name, acknowledged.flag_id, acknowledged.acknowledged_by) == \
        ("SafetyFlagAcknowledged", flag.flag_id, "dr-lee")
    assert "safety plan" not in str(acknowledged)


def test_item_9_at_zero_raises_no_flag(api, ana):
    scored = screen(api, ana.name, values=[3] * 8 + [0])
    assert list(scored.raised_flags) == []
    assert "SafetyFlagRaised" not in event_types(api.runtime)


def test_acknowledging_twice_is_a_failed_precondition(api, ana):
    scored = screen(api, ana.name, values=[0] * 8 + [2])
    _acknowledge(api, scored.raised_flags[0])
    error = refused(_acknowledge, api, scored.raised_flags[0])
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "FLAG_ALREADY_ACKNOWLEDGED")
    assert event_types(api.runtime).count("SafetyFlagAcknowledged") == 1


def test_acknowledging_needs_a_staff_id(api, ana):
    scored = screen(api, ana.name, values=[0] * 8 + [2])
    error = refused(_acknowledge, api, scored.raised_flags[0], metadata=NO_TOKEN)
    assert (error.code(), reason(error)) == (grpc.StatusCode.UNAUTHENTICATED,
                                             "UNAUTHENTICATED")
    assert len(_patient(api, ana).open_safety_flags) == 1


def test_unknown_flag_is_not_found(api, ana):
    error = refused(_acknowledge, api, f"{ana.name}/safetyFlags/nope")
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND, "SAFETY_FLAG_NOT_FOUND")


def test_open_only_lists_flags_not_yet_acknowledged(api, ana):
    first = screen(api, ana.name, values=[0] * 8 + [1], when=NOW - dt.timedelta(days=1))
    second = screen(api, ana.name, values=[0] * 8 + [3])
    _acknowledge(api, first.raised_flags[0])
    every = api.screenings.ListSafetyFlags(pb.ListSafetyFlagsRequest(parent=ana.name)).flags
    assert len(every) == 2
    still = api.screenings.ListSafetyFlags(pb.ListSafetyFlagsRequest(
        parent=ana.name, open_only=True)).flags
    assert [f.name for f in still] == list(second.raised_flags)


def test_trend_shows_change_from_baseline_response_and_remission(api, ana):
    for days, values in [(42, [3] * 6 + [2, 0, 0]), (21, [2] * 5 + [0] * 4), (1, [1] * 4 + [0] * 5)]:
        screen(api, ana.name, values=values, when=NOW - dt.timedelta(days=days))
    screen(api, ana.name, "GAD-7", [3] * 7)
    trend = api.screenings.GetScoreTrend(pb.GetScoreTrendRequest(
        parent=ana.name, instrument="PHQ-9")).trend
    assert [p.total_score for p in trend.points] == [20, 10, 4]
    assert (trend.baseline_score, trend.latest_score, trend.change_from_baseline) == (20, 4, -16)
    assert trend.percent_change_from_baseline == pytest.approx(-80.0)
    assert (trend.response, trend.remission) == (True, True)


def test_trend_of_an_unknown_instrument_is_invalid(api, ana):
    error = refused(api.screenings.GetScoreTrend, pb.GetScoreTrendRequest(
        parent=ana.name, instrument="nope"))
    assert reason(error) == "UNKNOWN_INSTRUMENT"


def test_screenings_list_by_instrument_oldest_first(api, ana):
    older = screen(api, ana.name, when=NOW - dt.timedelta(days=3))
    newer = screen(api, ana.name)
    screen(api, ana.name, "PAIN-NRS", [4])
    listed = api.screenings.ListScreenings(pb.ListScreeningsRequest(
        parent=ana.name, instrument="PHQ-9", page_size=1))
    assert [s.name for s in listed.screenings] == [older.name]
    rest = api.screenings.ListScreenings(pb.ListScreeningsRequest(
        parent=ana.name, instrument="PHQ-9", page_token=listed.next_page_token))
    assert [s.name for s in rest.screenings] == [newer.name]
    assert api.screenings.GetScreening(pb.GetScreeningRequest(name=newer.name)).screening == \
        newer


def test_instruments_are_listed_with_their_bands(api):
    listed = api.screenings.ListInstruments(pb.ListInstrumentsRequest()).instruments
    assert [i.code for i in listed] == ["GAD-7", "PAIN-NRS", "PCL-5", "PHQ-9", "TMS-SAFETY"]
    phq9 = listed[3]
    assert (phq9.max_total, phq9.remission_below, [b.label for b in phq9.bands][-1]) == \
        (27, 5, "severe")


def test_an_instrument_added_as_a_definition_file_is_scored(start_intake, tmp_path):
    folder = tmp_path / "instruments"
    folder.mkdir()
    (folder / "who5.yaml").write_text(
        "code: WHO-5\nitems: {count: 5, min: 0, max: 5}\n"
        "bands:\n  - {min: 0, max: 12, label: poor}\n  - {min: 13, max: 25, label: good}\n")
    api = start_intake(instruments_dir=folder)
    ana = register(api)
    scored = screen(api, ana.name, "WHO-5", [5, 5, 3, 0, 0])
    assert (scored.total_score, scored.severity) == (13, "good")


def test_a_merged_patients_open_flag_shows_on_the_survivor(api, ana):
    bea = register(api, given_name="Bea", phone="+16195550999")
    scored = screen(api, bea.name, values=[0] * 8 + [1])
    api.patients.MergePatients(intake_pb.MergePatientsRequest(
        surviving_patient=ana.name, merged_patient=bea.name), metadata=STAFF)
    shown = _patient(api, ana).open_safety_flags
    assert [f.flag_id for f in shown] == [scored.raised_flags[0].rsplit("/", 1)[-1]]


def _trend(api, patient):
    return api.screenings.GetScoreTrend(pb.GetScoreTrendRequest(
        parent=patient.name, instrument="PHQ-9")).trend


def _start_ketamine_plan(api, patient):
    from clinic.intake.v1 import events_pb2, treatment_plan_pb2, treatment_plan_service_pb2

    from tests.intake.support import decide, prepare_for

    prepare_for(api, patient.name, events_pb2.MODALITY_IV_KETAMINE)  # scores PHQ-9 12, now
    decide(api, patient.name, events_pb2.MODALITY_IV_KETAMINE)
    return api.plans.CreateTreatmentPlan(treatment_plan_service_pb2.CreateTreatmentPlanRequest(
        parent=patient.name, plan=treatment_plan_pb2.TreatmentPlan(
            modality=events_pb2.MODALITY_IV_KETAMINE, indication_code="F33.2")),
        metadata=STAFF).plan


def test_remission_is_not_reported_on_a_single_baseline_screening(api, ana):
    only = screen(api, ana.name, values=[1, 1, 1, 0, 0, 0, 0, 0, 0])
    trend = _trend(api, ana)
    assert (trend.baseline_score, trend.latest_score, trend.follow_up_count) == (3, 3, 0)
    assert (trend.response, trend.remission) == (False, False)
    assert (trend.baseline_screening, trend.baseline_plan, trend.baseline_basis) == \
        (only.name, "", spb.BASELINE_BASIS_FIRST_SCREENING)


def test_the_baseline_is_the_start_of_the_current_plan_not_the_first_screening_ever(api, ana):
    screen(api, ana.name, values=[3] * 8 + [0], when=NOW - dt.timedelta(days=200))  # 24
    screen(api, ana.name, values=[1, 1, 1] + [0] * 6, when=NOW - dt.timedelta(days=150))  # 3
    plan = _start_ketamine_plan(api, ana)
    baseline = _trend(api, ana)
    assert (baseline.baseline_score, baseline.latest_score, baseline.follow_up_count) == \
        (12, 12, 0)
    assert (baseline.response, baseline.remission) == (False, False)  # 24 -> 12 is not this course
    assert (baseline.baseline_plan, baseline.baseline_basis) == \
        (plan.name, spb.BASELINE_BASIS_ACTIVE_PLAN)
    assert baseline.baseline_screening == baseline.points[2].screening
    screen(api, ana.name, values=[1, 1, 1, 1] + [0] * 5)  # 4, after the plan started
    after = _trend(api, ana)
    assert (after.baseline_score, after.latest_score, after.change_from_baseline,
            after.follow_up_count) == (12, 4, -8, 1)
    assert after.percent_change_from_baseline == pytest.approx(-66.7)
    assert (after.response, after.remission) == (True, True)
    assert [p.total_score for p in after.points] == [24, 3, 12, 4]
