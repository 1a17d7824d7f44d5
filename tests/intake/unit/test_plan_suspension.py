"""A treatment plan is suspended when a consent it needs is revoked."""

import datetime as dt

import pytest
from clinic_intake.domain import errors
from clinic_intake.domain.plans import PlanState, TreatmentPlan

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _plan(state=PlanState.ACTIVE) -> TreatmentPlan:
    return TreatmentPlan("plan-1", "p1", "IV_KETAMINE", "d1", state=state, created_at=NOW)


def test_suspending_an_active_plan_takes_it_out_of_force():
    plan = _plan()
    assert plan.suspend()
    assert (plan.state, plan.active) == (PlanState.SUSPENDED, False)


def test_a_plan_not_in_force_is_not_suspended_again():
    ended = _plan(PlanState.ENDED)
    assert not ended.suspend()
    assert ended.state == PlanState.ENDED
    suspended = _plan()
    suspended.suspend()
    assert not suspended.suspend()


def test_a_suspended_plan_is_not_amended_but_may_be_ended():
    plan = _plan()
    plan.suspend()
    with pytest.raises(errors.Refused) as refused:
        plan.ensure_active()
    assert refused.value.reason == "PLAN_SUSPENDED"
    plan.end("DISCONTINUED", "dr-lee", plan.created_at)
    assert (plan.state, plan.end_reason) == (PlanState.ENDED, "DISCONTINUED")
