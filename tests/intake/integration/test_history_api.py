"""HistoryService over gRPC on SQLite and PostgreSQL: entries, amendments, vitals, summary."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import history_pb2 as h
from clinic.intake.v1 import history_service_pb2 as pb
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.intake.support import (
    DR_KIM,
    NO_TOKEN,
    STAFF,
    add_history,
    date,
    event_types,
    reason,
    record_vitals,
    refused,
    register,
)

NOW = dt.datetime.now(dt.UTC)


def _sertraline(outcome=h.TRIAL_OUTCOME_NO_RESPONSE, **fields):
    return h.Medication(medication_name="sertraline", dose="100 mg", frequency="daily",
                        antidepressant=True, trial_outcome=outcome,
                        start_date=date(dt.date(2024, 1, 1)), **fields)


@pytest.fixture
def ana(api):
    return register(api)


def test_each_kind_of_entry_reads_back_and_lists_by_kind(api, ana):
    condition = add_history(api, ana.name, condition=h.Condition(
        code="f33.2", onset_date=date(dt.date(2019, 3, 1))))
    add_history(api, ana.name, medication=_sertraline())
    add_history(api, ana.name, allergy=h.Allergy(substance="penicillin",
                                                 severity=h.ALLERGY_SEVERITY_SEVERE))
    add_history(api, ana.name, prior_therapy=h.PriorTherapy(
        kind=h.THERAPY_KIND_TALK_THERAPY, sessions=12, outcome=h.TRIAL_OUTCOME_PARTIAL_RESPONSE))
    add_history(api, ana.name, substance_use=h.SubstanceUse(
        substance="alcohol", status=h.SUBSTANCE_USE_STATUS_FORMER))
    assert condition.condition.code == "F33.2"
    assert condition.recorded_by == "dr-lee"
    got = api.history.GetHistoryEntry(pb.GetHistoryEntryRequest(name=condition.name)).entry
    assert got == condition
    every = api.history.ListHistoryEntries(pb.ListHistoryEntriesRequest(parent=ana.name))
    assert [e.WhichOneof("detail") for e in every.entries] == \
        ["condition", "medication", "allergy", "prior_therapy", "substance_use"]
    only = api.history.ListHistoryEntries(pb.ListHistoryEntriesRequest(
        parent=ana.name, kind=h.HISTORY_KIND_ALLERGY)).entries
    assert [e.allergy.substance for e in only] == ["penicillin"]


@pytest.mark.parametrize(("detail", "field"), [
    ({"condition": h.Condition(code="depression")}, "entry.condition.code"),
    ({"medication": h.Medication(medication_name="x", trial_outcome=h.TRIAL_OUTCOME_RESPONDED)},
     "entry.medication.trial_outcome"),
    ({"medication": _sertraline(stop_date=date(dt.date(2023, 1, 1)))},
     "entry.medication.stop_date"),
    ({"prior_therapy": h.PriorTherapy()}, "entry.prior_therapy.kind"),
    ({"substance_use": h.SubstanceUse(substance="alcohol")}, "entry.substance_use.status"),
    ({}, "entry"),
])
def test_malformed_entry_is_invalid_and_stores_nothing(api, ana, detail, field):
    error = refused(add_history, api, ana.name, **detail)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()
    assert api.history.ListHistoryEntries(pb.ListHistoryEntriesRequest(
        parent=ana.name)).entries == []


def _amend(api, name, reason_text="outcome known", **detail):
    return api.history.AmendHistoryEntry(pb.AmendHistoryEntryRequest(
        entry=h.HistoryEntry(name=name, **detail), reason=reason_text),
        metadata=DR_KIM).entry


def test_amending_an_entry_keeps_the_earlier_revision_and_who_changed_it(api, ana):
    entry = add_history(api, ana.name, medication=_sertraline(h.TRIAL_OUTCOME_ONGOING))
    amended = _amend(api, entry.name, medication=_sertraline())
    assert (amended.revision, amended.recorded_by) == (2, "dr-kim")
    assert amended.medication.trial_outcome == h.TRIAL_OUTCOME_NO_RESPONSE
    revisions = api.patients.ListRecordRevisions(intake_pb.ListRecordRevisionsRequest(
        record=entry.name)).revisions
    assert [(r.snapshot["trial_outcome"], r.changed_by, r.reason) for r in revisions] == \
        [("ONGOING", "dr-lee", "recorded"), ("NO_RESPONSE", "dr-kim", "outcome known")]
    assert list(revisions[1].changed_fields) == ["trial_outcome"]


def test_amendment_cannot_change_the_kind_or_go_without_a_reason(api, ana):
    entry = add_history(api, ana.name, medication=_sertraline())
    error = refused(_amend, api, entry.name, allergy=h.Allergy(substance="x"))
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                             "HISTORY_KIND_CHANGED")
    error = refused(_amend, api, entry.name, reason_text=" ", medication=_sertraline())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    got = api.history.GetHistoryEntry(pb.GetHistoryEntryRequest(name=entry.name)).entry
    assert got.revision == 1


def test_amending_an_unknown_entry_is_not_found(api, ana):
    error = refused(_amend, api, f"{ana.name}/historyEntries/nope", medication=_sertraline())
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND,
                                             "HISTORY_ENTRY_NOT_FOUND")


def test_history_changes_need_a_staff_id(api, ana):
    error = refused(api.history.CreateHistoryEntry, pb.CreateHistoryEntryRequest(
        parent=ana.name, entry=h.HistoryEntry(allergy=h.Allergy(substance="x"))),
        metadata=NO_TOKEN)
    assert (error.code(), reason(error)) == (grpc.StatusCode.UNAUTHENTICATED,
                                             "UNAUTHENTICATED")


def test_vitals_are_listed_oldest_first_with_their_measure_time(api, ana):
    later = record_vitals(api, ana.name, NOW - dt.timedelta(hours=1), weight_grams=82300)
    earlier = record_vitals(api, ana.name, NOW - dt.timedelta(days=2), systolic_mmhg=128,
                            diastolic_mmhg=82, pulse_bpm=70, height_mm=1680)
    listed = api.history.ListVitals(pb.ListVitalsRequest(parent=ana.name)).vitals
    assert [v.vitals_id for v in listed] == [earlier.vitals_id, later.vitals_id]
    assert (later.weight_grams, later.systolic_mmhg) == (82300, 0)
    assert earlier.measure_time.ToDatetime(dt.UTC).date() == (NOW - dt.timedelta(days=2)).date()


@pytest.mark.parametrize(("values", "field"), [
    ({"weight_grams": 181}, "vitals.weight_grams"),
    ({"systolic_mmhg": 120}, "vitals.diastolic_mmhg"),
    ({"systolic_mmhg": 80, "diastolic_mmhg": 90}, "vitals.diastolic_mmhg"),
    ({}, "vitals"),
])
def test_implausible_vitals_are_invalid(api, ana, values, field):
    error = refused(record_vitals, api, ana.name, **values)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()


def test_vitals_name_where_they_were_measured(api, ana):
    taken = record_vitals(api, ana.name, pulse_bpm=70, location_id="encinitas")
    assert taken.location_id == "encinitas"
    error = refused(record_vitals, api, ana.name, pulse_bpm=70, location_id="")
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert "vitals.location_id" in error.details()


def test_a_nurse_records_vitals_only_at_her_locations(api, ana):
    nurse = auth.metadata(Role.NURSE, sub="rn-ortiz", locations=("la-jolla",))
    error = refused(record_vitals, api, ana.name, pulse_bpm=70, location_id="temecula",
                    metadata=nurse)
    assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED,
                                             "LOCATION_NOT_ALLOWED")
    assert record_vitals(api, ana.name, pulse_bpm=70, location_id="la-jolla",
                         metadata=nurse).recorded_by == "rn-ortiz"
    listed = api.history.ListVitals(pb.ListVitalsRequest(parent=ana.name)).vitals
    assert [v.location_id for v in listed] == ["la-jolla"]


def test_vitals_measured_in_the_future_are_invalid(api, ana):
    error = refused(record_vitals, api, ana.name, NOW + dt.timedelta(hours=2), pulse_bpm=70)
    assert "vitals.measure_time" in error.details()


def test_summary_counts_failed_antidepressant_trials_and_latest_measurements(api, ana):
    adequate = {"trial_weeks": 8, "adequate_dose": True}
    add_history(api, ana.name, medication=_sertraline(h.TRIAL_OUTCOME_NO_RESPONSE, **adequate))
    add_history(api, ana.name, medication=_sertraline(h.TRIAL_OUTCOME_PARTIAL_RESPONSE,
                                                      **adequate))
    add_history(api, ana.name, medication=_sertraline(h.TRIAL_OUTCOME_NO_RESPONSE,
                                                      trial_weeks=3, adequate_dose=True))
    add_history(api, ana.name, medication=_sertraline(h.TRIAL_OUTCOME_NOT_TOLERATED))
    add_history(api, ana.name, medication=h.Medication(medication_name="lisinopril"))
    record_vitals(api, ana.name, NOW - dt.timedelta(days=3), weight_grams=80000)
    newest = record_vitals(api, ana.name, NOW - dt.timedelta(days=1), weight_grams=81000)
    pressure = record_vitals(api, ana.name, NOW, systolic_mmhg=150, diastolic_mmhg=95)
    summary = api.history.GetClinicalSummary(pb.GetClinicalSummaryRequest(
        parent=ana.name)).summary
    assert (summary.failed_antidepressant_trials, summary.adequate_failed_antidepressant_trials,
            summary.treatment_resistant) == (3, 2, True)
    assert summary.latest_weight.vitals_id == newest.vitals_id
    assert summary.latest_blood_pressure.vitals_id == pressure.vitals_id


def test_failed_trials_without_an_adequate_dose_and_length_are_not_resistance(api, ana):
    add_history(api, ana.name, medication=_sertraline(trial_weeks=12))
    add_history(api, ana.name, medication=_sertraline(trial_weeks=4, adequate_dose=True))
    summary = api.history.GetClinicalSummary(pb.GetClinicalSummaryRequest(
        parent=ana.name)).summary
    assert (summary.failed_antidepressant_trials, summary.adequate_failed_antidepressant_trials,
            summary.treatment_resistant) == (2, 0, False)


def test_a_medication_entry_keeps_the_trial_length_and_dose_attestation(api, ana):
    entry = add_history(api, ana.name, medication=_sertraline(trial_weeks=8,
                                                              adequate_dose=True))
    assert (entry.medication.trial_weeks, entry.medication.adequate_dose) == (8, True)


def test_a_condition_is_returned_with_its_code_description(api, ana):
    entry = add_history(api, ana.name, condition=h.Condition(code="F330"))
    assert entry.condition.code == "F33.0"
    assert entry.condition.code_description == \
        "Major depressive disorder, recurrent, mild"


@pytest.mark.parametrize(("code", "words"), [
    ("F43.1", "F43.1 is not billable; use a more specific code such as F43.10, F43.11"),
    ("G90.5", "G90.5 is not billable"), ("F99.99", "'F99.99' is not an ICD-10-CM code")])
def test_a_condition_code_must_be_billable_in_the_code_set(api, ana, code, words):
    error = refused(api.history.CreateHistoryEntry, pb.CreateHistoryEntryRequest(
        parent=ana.name, entry=h.HistoryEntry(condition=h.Condition(code=code))))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in error.details()


def test_no_failed_trial_is_not_treatment_resistant(api, ana):
    add_history(api, ana.name, medication=_sertraline(h.TRIAL_OUTCOME_RESPONDED))
    summary = api.history.GetClinicalSummary(pb.GetClinicalSummaryRequest(
        parent=ana.name)).summary
    assert (summary.failed_antidepressant_trials, summary.treatment_resistant) == (0, False)
    assert not summary.HasField("latest_weight")


def test_treatment_resistance_threshold_is_configuration(start_intake):
    api = start_intake(treatment_resistance_min_failed_trials=2)
    ana = register(api)
    add_history(api, ana.name, medication=_sertraline())
    summary = api.history.GetClinicalSummary(pb.GetClinicalSummaryRequest(
        parent=ana.name)).summary
    assert (summary.failed_antidepressant_trials, summary.treatment_resistant) == (1, False)


def test_history_of_a_merged_patient_moves_to_the_survivor(api, ana):
    bea = register(api, given_name="Bea", phone="+16195550999")
    add_history(api, bea.name, allergy=h.Allergy(substance="ketamine"))
    record_vitals(api, bea.name, weight_grams=70000)
    api.patients.MergePatients(intake_pb.MergePatientsRequest(
        surviving_patient=ana.name, merged_patient=bea.name), metadata=STAFF)
    entries = api.history.ListHistoryEntries(pb.ListHistoryEntriesRequest(
        parent=ana.name)).entries
    assert [e.allergy.substance for e in entries] == ["ketamine"]
    assert entries[0].name.startswith(ana.name + "/")
    assert len(api.history.ListVitals(pb.ListVitalsRequest(parent=ana.name)).vitals) == 1
    assert event_types(api.runtime)[-1] == "PatientMerged"


def test_vitals_record_oxygen_saturation(api, ana):
    taken = record_vitals(api, ana.name, spo2_percent=96, pulse_bpm=74)
    assert (taken.spo2_percent, taken.pulse_bpm) == (96, 74)
    listed = api.history.ListVitals(pb.ListVitalsRequest(parent=ana.name)).vitals
    assert [v.spo2_percent for v in listed] == [96]
    assert record_vitals(api, ana.name, pulse_bpm=70).spo2_percent == 0  # not measured


@pytest.mark.parametrize("spo2", [49, 101])
def test_oxygen_saturation_outside_50_to_100_percent_is_invalid(api, ana, spo2):
    error = refused(record_vitals, api, ana.name, spo2_percent=spo2)
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert "vitals.spo2_percent: must be between 50 and 100" in error.details()
    assert api.history.ListVitals(pb.ListVitalsRequest(parent=ana.name)).vitals == []
