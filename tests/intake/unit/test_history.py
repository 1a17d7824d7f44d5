"""History rules: typed entries, amendments of the same kind, failed trials, vital signs."""

import datetime as dt

import pytest
from clinic_common.errors import FieldViolation
from clinic_intake.domain import history
from clinic_intake.domain.vitals import Vitals

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _trial(outcome: str, antidepressant: bool = True) -> history.HistoryEntry:
    return history.HistoryEntry.record("p1", history.Medication(
        "bupropion", antidepressant=antidepressant, trial_outcome=outcome), "dr-lee", NOW)


def test_entry_keeps_its_typed_detail_as_plain_data():
    entry = history.HistoryEntry.record("p1", history.Condition(
        "f43.10", onset_date=dt.date(2020, 1, 2)), "dr-lee", NOW)
    assert entry.kind == "CONDITION"
    assert entry.data == {"code": "F43.10", "onset_date": "2020-01-02", "resolved_date": None}
    assert entry.detail == history.Condition("F43.10", dt.date(2020, 1, 2))


def test_condition_onset_in_the_future_is_refused():
    with pytest.raises(FieldViolation) as refused:
        history.HistoryEntry.record("p1", history.Condition(
            "F33.2", onset_date=dt.date(2026, 3, 2)), "dr-lee", NOW)
    assert refused.value.field == "entry.condition.onset_date"


@pytest.mark.parametrize(("outcomes", "failed"), [
    (["NO_RESPONSE", "PARTIAL_RESPONSE"], 2),
    (["RESPONDED", "ONGOING", "NOT_TOLERATED"], 0),
    ([], 0),
])
def test_failed_trials_are_inadequate_responses_to_antidepressants(outcomes, failed):
    entries = [_trial(o) for o in outcomes]
    entries.append(history.HistoryEntry.record("p1", history.Allergy("latex"), "dr-lee", NOW))
    assert history.failed_antidepressant_trials(entries) == failed


def test_trial_outcome_is_only_for_antidepressants():
    with pytest.raises(FieldViolation):
        _trial("NO_RESPONSE", antidepressant=False)


def test_amendment_reports_changed_fields_and_counts_a_revision():
    entry = _trial("ONGOING")
    changed = entry.amend(history.Medication("bupropion", antidepressant=True,
                                             trial_outcome="NO_RESPONSE"), "dr-kim", NOW)
    assert changed == ["trial_outcome"]
    assert (entry.revision, entry.recorded_by) == (2, "dr-kim")


def test_amendment_to_another_kind_is_refused():
    with pytest.raises(FieldViolation) as refused:
        _trial("ONGOING").amend(history.Allergy("latex"), "dr-kim", NOW)
    assert refused.value.reason == "HISTORY_KIND_CHANGED"


def test_vitals_keep_only_the_measurements_taken():
    vitals = Vitals.record("p1", NOW, {"weight_grams": 82300, "pulse_bpm": 0}, "rn-1", NOW)
    assert (vitals.weight_grams, vitals.pulse_bpm, str(vitals.weight_kg)) == \
        (82300, None, "82.3")


@pytest.mark.parametrize("values", [
    {"weight_grams": 500}, {"height_mm": 3000}, {"pulse_bpm": 300},
    {"diastolic_mmhg": 80}, {"systolic_mmhg": 120, "diastolic_mmhg": 120},
])
def test_implausible_vitals_are_refused(values):
    with pytest.raises(FieldViolation):
        Vitals.record("p1", NOW, values, "rn-1", NOW)


def test_vitals_need_a_measure_time_not_in_the_future():
    with pytest.raises(FieldViolation):
        Vitals.record("p1", None, {"pulse_bpm": 70}, "rn-1", NOW)
    with pytest.raises(FieldViolation):
        Vitals.record("p1", NOW + dt.timedelta(minutes=10), {"pulse_bpm": 70}, "rn-1", NOW)


def test_vitals_record_oxygen_saturation_in_percent():
    vitals = Vitals.record("p1", NOW, {"spo2_percent": 97, "pulse_bpm": 72}, "rn-1", NOW)
    assert (vitals.spo2_percent, vitals.pulse_bpm) == (97, 72)
    assert Vitals.record("p1", NOW, {"pulse_bpm": 72}, "rn-1", NOW).spo2_percent is None


@pytest.mark.parametrize("spo2", [49, 101, 970])
def test_oxygen_saturation_outside_50_to_100_is_invalid(spo2):
    with pytest.raises(FieldViolation) as refused:
        Vitals.record("p1", NOW, {"spo2_percent": spo2}, "rn-1", NOW)
    assert "vitals.spo2_percent" in str(refused.value)
    assert "between 50 and 100" in str(refused.value)
