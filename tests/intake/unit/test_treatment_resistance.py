"""Adequate antidepressant trials: dose and duration recorded, counted by the clinic's rule."""

import datetime as dt

import pytest
from clinic_common.errors import FieldViolation
from clinic_intake.domain import history
from clinic_intake.domain.policy import Policy

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _trial(outcome="NO_RESPONSE", weeks=8, adequate_dose=True) -> history.HistoryEntry:
    return history.HistoryEntry.record("p1", history.Medication(
        "escitalopram", "20 mg", antidepressant=True, trial_outcome=outcome,
        trial_weeks=weeks, adequate_dose=adequate_dose), "dr-lee", NOW)


@pytest.mark.parametrize(("trials", "failed", "adequate"), [
    ([_trial(), _trial("PARTIAL_RESPONSE", weeks=6)], 2, 2),
    ([_trial(weeks=5), _trial(adequate_dose=False)], 2, 0),
    ([_trial("NOT_TOLERATED"), _trial("RESPONDED")], 0, 0),
    ([], 0, 0),
])
def test_only_adequate_failed_trials_count_towards_resistance(trials, failed, adequate):
    assert history.failed_antidepressant_trials(trials) == failed
    assert history.adequate_failed_antidepressant_trials(trials, 6) == adequate


def test_treatment_resistance_needs_two_adequate_failed_trials_by_default():
    policy = Policy()
    assert (policy.treatment_resistance_min_failed_trials,
            policy.adequate_trial_min_weeks) == (2, 6)
    assert not history.treatment_resistant([_trial()], policy)
    assert history.treatment_resistant([_trial(), _trial()], policy)
    assert not history.treatment_resistant([_trial(), _trial(weeks=4)], policy)
    assert history.treatment_resistant([_trial(), _trial(weeks=4)], Policy(
        adequate_trial_min_weeks=4))


@pytest.mark.parametrize(("fields", "field"), [
    ({"trial_weeks": 8}, "trial_weeks"), ({"adequate_dose": True}, "adequate_dose")])
def test_trial_dose_and_duration_are_only_for_antidepressants(fields, field):
    with pytest.raises(FieldViolation) as refused:
        history.HistoryEntry.record("p1", history.Medication("lisinopril", **fields),
                                    "dr-lee", NOW)
    assert refused.value.field == f"entry.medication.{field}"


@pytest.mark.parametrize("weeks", [-1, 521])
def test_implausible_trial_lengths_are_refused(weeks):
    with pytest.raises(FieldViolation):
        _trial(weeks=weeks)


def test_entries_recorded_before_trials_had_a_length_read_with_the_defaults():
    old = history.HistoryEntry(entry_id="e1", patient_id="p1", kind="MEDICATION", data={
        "medication_name": "sertraline", "dose": "", "frequency": "", "start_date": None,
        "stop_date": None, "antidepressant": True, "trial_outcome": "NO_RESPONSE"},
        created_at=NOW, updated_at=NOW)
    assert (old.detail.trial_weeks, old.detail.adequate_dose) == (0, False)
    assert old.detail.failed_trial and not old.detail.adequate_failed_trial(6)
