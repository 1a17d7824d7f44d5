"""Doses by modality and treatment plan series and versions."""

import datetime as dt
from decimal import Decimal

import pytest
from clinic_common.errors import FailedPrecondition, FieldViolation
from clinic_intake.domain import dosing, plans
from clinic_intake.domain.dosing import Dose
from clinic_intake.domain.plans import TreatmentPlan
from clinic_intake.domain.policy import Policy, Series
from clinic_intake.domain.vitals import Vitals

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
POLICY = Policy()


def _weight(grams: int, days_ago: float = 1) -> Vitals:
    return Vitals.record("p1", NOW - dt.timedelta(days=days_ago), {"weight_grams": grams},
                         "rn", NOW)


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(FailedPrecondition) as refused:
        call(*args, **kwargs)
    return refused.value.reason


@pytest.mark.parametrize(("grams", "mcg"), [(82300, 41150), (82301, 41151), (60000, 30000)])
def test_ketamine_dose_is_half_a_milligram_per_kilogram(grams, mcg):
    dose = dosing.ketamine(_weight(grams), POLICY, NOW)
    assert (dose.dose_mcg, dose.computed_dose_mcg, dose.mg_per_kg, dose.weight_grams) == \
        (mcg, mcg, "0.5", grams)


def test_ketamine_dose_follows_the_configured_rate():
    policy = Policy(ketamine_mg_per_kg=Decimal("0.75"))
    assert dosing.ketamine(_weight(80000), policy, NOW).dose_mcg == 60000


def test_a_weight_older_than_the_policy_window_is_refused():
    assert dosing.ketamine(_weight(80000, days_ago=30), POLICY, NOW).dose_mcg == 40000
    assert _refused(dosing.ketamine, _weight(80000, days_ago=30.01), POLICY, NOW) == \
        "WEIGHT_STALE"
    assert _refused(dosing.ketamine, None, POLICY, NOW) == "WEIGHT_REQUIRED"
    assert _refused(dosing.ketamine, _weight(80000, days_ago=8),
                    Policy(weight_max_age_days=7), NOW) == "WEIGHT_STALE"


def test_the_computed_dose_is_capped_in_absolute_terms():
    dose = dosing.ketamine(_weight(250000), POLICY, NOW)
    assert (dose.computed_dose_mcg, dose.dose_mcg) == (100000, 100000)
    uncapped = dosing.ketamine(_weight(250000), Policy(ketamine_max_dose_mg=Decimal(0)), NOW)
    assert uncapped.dose_mcg == 125000


def test_a_provider_may_adjust_the_dose_with_a_reason_up_to_the_cap():
    dose = dosing.ketamine(_weight(60000), POLICY, NOW, 45000, "tolerated well")
    assert (dose.dose_mcg, dose.computed_dose_mcg, dose.adjustment_reason) == \
        (45000, 30000, "tolerated well")
    assert _refused(dosing.ketamine, _weight(60000), POLICY, NOW, 61000, "x") == \
        "DOSE_ABOVE_CAP"
    with pytest.raises(FieldViolation):
        dosing.ketamine(_weight(60000), POLICY, NOW, 45000, "")


def test_asking_for_the_computed_dose_is_no_adjustment():
    dose = dosing.ketamine(_weight(60000), POLICY, NOW, 30000, "")
    assert (dose.dose_mcg, dose.adjustment_reason) == (30000, "")


def test_spravato_takes_one_of_the_clinic_doses_and_tms_none():
    assert dosing.spravato(84000, POLICY).dose_mcg == 84000
    with pytest.raises(FieldViolation):
        dosing.spravato(70000, POLICY)
    with pytest.raises(FieldViolation):
        dosing.spravato(0, POLICY)
    assert dosing.undosed(0, "TMS") == Dose()
    with pytest.raises(FieldViolation):
        dosing.undosed(1000, "TMS")


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
