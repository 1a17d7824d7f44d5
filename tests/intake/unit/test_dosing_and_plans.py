"""Dosing protocols, doses under them, and treatment plan series and versions."""

import datetime as dt

import pytest
from clinic_common.errors import FailedPrecondition, FieldViolation
from clinic_intake.adapters.definitions import load_protocols
from clinic_intake.domain import dosing, plans
from clinic_intake.domain.dosing import Dose, DoseRequest
from clinic_intake.domain.instruments import DefinitionError
from clinic_intake.domain.plans import TreatmentPlan
from clinic_intake.domain.policy import Policy, Series
from clinic_intake.domain.protocol_definitions import protocol_set_from
from clinic_intake.domain.vitals import Vitals

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
POLICY = Policy()
PROTOCOLS = load_protocols()


def _weight(grams: int, days_ago: float = 1) -> Vitals:
    return Vitals.record("p1", NOW - dt.timedelta(days=days_ago), {"weight_grams": grams},
                         "rn", NOW)


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(FailedPrecondition) as refused:
        call(*args, **kwargs)
    return refused.value.reason


def _dose(protocol_id: str, weight: Vitals | None = None, policy: Policy = POLICY,
          **asked) -> Dose:
    return dosing.dose(PROTOCOLS.get(protocol_id), DoseRequest(**asked), weight, policy, NOW)


def _cap(protocol_id: str, weight: Vitals | None, **asked) -> tuple[str, dict]:
    with pytest.raises(FailedPrecondition) as refused:
        _dose(protocol_id, weight, **asked)
    assert refused.value.reason == "DOSE_ABOVE_CAP"
    assert refused.value.metadata["cap"] in str(refused.value)
    return refused.value.metadata["cap"], refused.value.metadata


def test_the_packaged_protocols_name_their_source_and_indications():
    assert [p.protocol_id for p in PROTOCOLS.protocols] == [
        "ketamine_depression", "ketamine_ptsd_ocd", "ketamine_pain_crps",
        "ketamine_pain_fibromyalgia", "ketamine_pain_neuropathic", "spravato_trd",
        "spravato_mdsi", "tms"]
    assert all(p.source and p.indications.include for p in PROTOCOLS.protocols)


@pytest.mark.parametrize(("modality", "code", "protocol_id"), [
    ("IV_KETAMINE", "F33.2", "ketamine_depression"),
    ("IV_KETAMINE", "F32.A", "ketamine_depression"),
    ("IV_KETAMINE", "F43.10", "ketamine_ptsd_ocd"),
    ("IV_KETAMINE", "G90.511", "ketamine_pain_crps"),
    ("IV_KETAMINE", "G57.71", "ketamine_pain_crps"),  # causalgia: CRPS type II
    ("IV_KETAMINE", "G57.11", "ketamine_pain_neuropathic"),
    ("IV_KETAMINE", "B02.29", "ketamine_pain_neuropathic"),
    ("IV_KETAMINE", "M79.7", "ketamine_pain_fibromyalgia"),
    ("TMS", "F33.1", "tms"),
    ("TMS", "F42.2", "tms"),
])
def test_the_protocol_follows_from_modality_and_indication(modality, code, protocol_id):
    assert PROTOCOLS.choose(modality, code).protocol_id == protocol_id


def test_several_covering_protocols_need_one_named_and_the_error_lists_them():
    with pytest.raises(FieldViolation) as ambiguous:
        PROTOCOLS.choose("SPRAVATO", "F33.2")
    assert (ambiguous.value.reason, ambiguous.value.field) == ("PROTOCOL_REQUIRED",
                                                               "plan.protocol")
    assert "spravato_trd" in str(ambiguous.value) and "spravato_mdsi" in str(ambiguous.value)
    assert PROTOCOLS.choose("SPRAVATO", "F33.2", "spravato_mdsi").protocol_id == \
        "spravato_mdsi"


def test_an_unknown_or_unfitting_protocol_is_refused_with_the_valid_ones():
    with pytest.raises(FieldViolation) as unknown:
        PROTOCOLS.choose("IV_KETAMINE", "F33.2", "ketamine_everything")
    assert unknown.value.reason == "UNKNOWN_PROTOCOL"
    assert "ketamine_pain_crps" in str(unknown.value)
    with pytest.raises(FieldViolation):
        PROTOCOLS.choose("IV_KETAMINE", "F33.2", "spravato_trd")  # another modality's
    assert _refused(PROTOCOLS.choose, "IV_KETAMINE", "F33.2", "ketamine_pain_crps") == \
        "PROTOCOL_NOT_FOR_INDICATION"
    # Depression with psychotic features is covered by no protocol.
    assert _refused(PROTOCOLS.choose, "IV_KETAMINE", "F33.3") == "NO_PROTOCOL"


@pytest.mark.parametrize(("grams", "mcg"), [(82300, 41150), (82301, 41151), (60000, 30000)])
def test_depression_dose_is_half_a_milligram_per_kilogram_over_40_minutes(grams, mcg):
    dose = _dose("ketamine_depression", _weight(grams))
    assert (dose.dose_mcg, dose.computed_dose_mcg, dose.mg_per_kg, dose.weight_grams,
            dose.duration_minutes, dose.mg_per_kg_per_hour) == \
        (mcg, mcg, "0.5", grams, 40, "0.75")


def test_a_160_kg_depression_patient_gets_80_mg_not_a_capped_dose():
    assert _dose("ketamine_depression", _weight(160000)).dose_mcg == 80000


def test_a_cap_that_would_change_the_computed_dose_is_a_refusal_naming_it():
    cap, metadata = _cap("ketamine_depression", _weight(210000))
    assert (cap, metadata["protocol"], metadata["cap_value"], metadata["dose_mcg"]) == \
        ("max_dose_mg", "ketamine_depression", "100", "105000")


def test_a_crps_patient_of_90_kg_for_4_hours_gets_the_protocol_rate_times_weight_and_time():
    dose = _dose("ketamine_pain_crps", _weight(90000))
    assert (dose.duration_minutes, dose.mg_per_kg_per_hour, dose.dose_mcg, dose.mg_per_kg) == \
        (240, "0.5", 180000, "2")  # 0.5 mg/kg/h * 90 kg * 4 h
    shorter = _dose("ketamine_pain_crps", _weight(90000), duration_minutes=120)
    assert (shorter.duration_minutes, shorter.dose_mcg) == (120, 90000)


@pytest.mark.parametrize(("protocol_id", "minutes", "mcg"), [
    ("ketamine_pain_fibromyalgia", 120, 70000), ("ketamine_pain_neuropathic", 120, 70000),
    ("ketamine_ptsd_ocd", 40, 35000)])
def test_every_ketamine_protocol_computes_its_dose(protocol_id, minutes, mcg):
    dose = _dose(protocol_id, _weight(70000))
    assert (dose.duration_minutes, dose.dose_mcg) == (minutes, mcg)


def test_a_pain_protocol_caps_the_session_total():
    # 0.5 mg/kg/h for 4 hours of 250 kg is 500 mg: above the 400 mg session cap.
    assert _cap("ketamine_pain_crps", _weight(250000))[0] == "max_dose_mg"


@pytest.mark.parametrize(("protocol_id", "minutes"), [
    ("ketamine_pain_crps", 241), ("ketamine_pain_crps", 39), ("ketamine_depression", 90)])
def test_a_duration_outside_the_protocol_range_is_refused_naming_the_range(protocol_id,
                                                                             minutes):
    with pytest.raises(FailedPrecondition) as refused:
        _dose(protocol_id, _weight(90000), duration_minutes=minutes)
    protocol = PROTOCOLS.get(protocol_id)
    assert refused.value.reason == "DURATION_OUT_OF_RANGE"
    assert (refused.value.metadata["min_duration_minutes"],
            refused.value.metadata["max_duration_minutes"]) == \
        (str(protocol.min_duration_minutes), str(protocol.max_duration_minutes))


def test_a_weight_older_than_the_policy_window_is_refused():
    assert _dose("ketamine_depression", _weight(80000, days_ago=30)).dose_mcg == 40000
    assert _refused(_dose, "ketamine_depression", _weight(80000, days_ago=30.01)) == \
        "WEIGHT_STALE"
    assert _refused(_dose, "ketamine_pain_crps", None) == "WEIGHT_REQUIRED"
    assert _refused(_dose, "ketamine_depression", _weight(80000, days_ago=8),
                    Policy(weight_max_age_days=7)) == "WEIGHT_STALE"


def test_a_provider_may_adjust_the_dose_with_a_reason_up_to_the_cap():
    dose = _dose("ketamine_depression", _weight(60000), dose_mcg=45000,
                 adjustment_reason="tolerated well")
    assert (dose.dose_mcg, dose.computed_dose_mcg, dose.adjustment_reason,
            dose.mg_per_kg_per_hour) == (45000, 30000, "tolerated well", "1.125")
    cap, metadata = _cap("ketamine_depression", _weight(60000), dose_mcg=61000,
                         adjustment_reason="x")
    assert (cap, metadata["cap_mcg"]) == ("max_mg_per_kg", "60000")
    with pytest.raises(FieldViolation):
        _dose("ketamine_depression", _weight(60000), dose_mcg=45000)


def test_an_adjusted_pain_dose_above_the_rate_cap_is_refused_naming_it():
    # 100 mg over the shortest infusion of 40 minutes is 3 mg/kg/h for 50 kg.
    cap, _ = _cap("ketamine_pain_crps", _weight(50000), dose_mcg=100000,
                  adjustment_reason="x", duration_minutes=40)
    assert cap == "max_mg_per_kg_per_hour"


def test_asking_for_the_computed_dose_is_no_adjustment():
    dose = _dose("ketamine_depression", _weight(60000), dose_mcg=30000)
    assert (dose.dose_mcg, dose.adjustment_reason) == (30000, "")


def test_spravato_for_trd_starts_at_56_mg_on_day_1_whatever_the_later_dose():
    dose = _dose("spravato_trd", dose_mcg=84000)
    assert (dose.dose_mcg, dose.first_dose_mcg, dose.duration_minutes) == (84000, 56000, 0)
    assert _dose("spravato_trd", dose_mcg=56000, first_dose_mcg=56000).first_dose_mcg == 56000
    with pytest.raises(FieldViolation) as refused:
        _dose("spravato_trd", dose_mcg=84000, first_dose_mcg=84000)
    assert refused.value.field == "plan.dose.first_dose_mcg" and "56000" in str(refused.value)


def test_spravato_takes_one_of_the_protocol_doses():
    assert _dose("spravato_mdsi", dose_mcg=84000).first_dose_mcg == 84000
    for mcg in (70000, 0):
        with pytest.raises(FieldViolation):
            _dose("spravato_trd", dose_mcg=mcg)
    with pytest.raises(FieldViolation):
        _dose("spravato_trd", dose_mcg=56000, duration_minutes=40)


def test_tms_has_no_dose():
    assert _dose("tms") == Dose()
    with pytest.raises(FieldViolation):
        _dose("tms", dose_mcg=1000)
    with pytest.raises(FieldViolation):
        _dose("tms", duration_minutes=20)


def test_a_protocol_file_whose_dose_breaks_its_own_caps_stops_the_service():
    broken = {"protocols": [{
        "id": "fast", "title": "t", "modality": "IV_KETAMINE", "source": "s",
        "indications": {"include": ["F33"]},
        "dose": {"rule": "weight_bolus", "mg_per_kg": 1, "duration_minutes": 40},
        "caps": {"max_mg_per_kg_per_hour": 1}}]}
    with pytest.raises(DefinitionError):
        protocol_set_from(broken, "test")
    with pytest.raises(DefinitionError):
        protocol_set_from({"protocols": [{"id": "x", "modality": "ECT"}]}, "test")


def test_series_fields_left_at_zero_take_the_modality_default():
    assert plans.series("IV_KETAMINE", Series(0, 0, 0), POLICY) == Series(6, 24, 21)
    assert plans.series("TMS", Series(30, 0, 0), POLICY) == Series(30, 20, 63)


def test_ketamine_sessions_closer_than_the_policy_are_refused():
    assert _refused(plans.series, "IV_KETAMINE", Series(6, 12, 21), POLICY) == \
        "SPACING_BELOW_POLICY"


def test_a_window_too_short_for_the_series_is_invalid():
    with pytest.raises(FieldViolation) as refused:
        plans.series("IV_KETAMINE", Series(6, 72, 7), POLICY)
    assert refused.value.field == "plan.series.window_days"


def _plan():
    return TreatmentPlan.create("p1", "IV_KETAMINE", "d1", "f33.2", Series(6, 24, 21),
                                Dose(40000), "dr-lee", NOW)


def test_a_new_plan_is_version_one_with_a_checked_indication():
    plan, first = _plan()
    assert (plan.version, first.version, first.indication_code, first.written_by) == \
        (1, 1, "F33.2", "dr-lee")
    with pytest.raises(FieldViolation):
        TreatmentPlan.create("p1", "TMS", "d1", "depression", Series(1, 1, 1), Dose(), "x", NOW)


def test_amending_makes_a_new_version_only_when_something_changes():
    plan, first = _plan()
    same = first.next(indication_code="F33.2", series=first.series, dose=first.dose,
                      reason="review", staff_id="dr-kim", now=NOW)
    assert not plan.amend(first, same)
    more = first.next(indication_code="F33.2", series=Series(8, 24, 28), dose=first.dose,
                      reason="partial response", staff_id="dr-kim", now=NOW)
    assert plan.amend(first, more)
    assert (plan.version, more.version, more.sessions) == (2, 2, 8)


def test_an_ended_plan_cannot_be_amended_or_ended_again():
    plan, first = _plan()
    plan.end("COMPLETED", "dr-lee", NOW)
    assert (plan.state, plan.end_reason, plan.version) == ("ENDED", "COMPLETED", 1)
    newer = first.next(indication_code="F32.2", series=first.series, dose=first.dose,
                       reason="x", staff_id="x", now=NOW)
    assert _refused(plan.amend, first, newer) == "PLAN_ENDED"
    assert _refused(plan.end, "DISCONTINUED", "dr-lee", NOW) == "PLAN_ENDED"


def test_ending_needs_a_known_reason():
    plan, _ = _plan()
    with pytest.raises(FieldViolation):
        plan.end("BORED", "dr-lee", NOW)
