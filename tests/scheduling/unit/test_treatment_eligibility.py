"""A treatment is booked only for a patient cleared for its modality under an active plan."""

import datetime as dt

import pytest
from clinic_scheduling.domain import errors
from clinic_scheduling.domain.appointment_type import AppointmentType
from clinic_scheduling.domain.eligibility import require_cleared_with_plan
from clinic_scheduling.domain.projections import Clearance, TreatmentPlan

DECIDED = dt.datetime(2027, 2, 1, 18, tzinfo=dt.UTC)
INFUSION = AppointmentType(code="IV_KETAMINE_INFUSION", display_name="IV", duration_minutes=90,
                           modality="IV_KETAMINE")
FOLLOW_UP = AppointmentType(code="FOLLOW_UP", display_name="Follow-up", duration_minutes=30)


def decision(outcome: str = "CLEARED") -> Clearance:
    return Clearance(decision_id="d-1", patient_id="p1", modality="IV_KETAMINE",
                     outcome=outcome, decided_by="dr-1", decided_at=DECIDED)


def plan() -> TreatmentPlan:
    return TreatmentPlan(plan_id="plan-1", patient_id="p1", modality="IV_KETAMINE",
                         indication_code="F33.2", version=1, dose_mcg=35_000)


def test_a_type_with_a_modality_needs_a_clearance_and_one_without_does_not():
    assert INFUSION.needs_clearance
    assert not FOLLOW_UP.needs_clearance


def test_a_cleared_patient_with_an_active_plan_may_be_booked_for_the_treatment():
    require_cleared_with_plan(INFUSION, "p1", decision(), plan())


def test_a_visit_without_a_modality_needs_no_clearance_and_no_plan():
    require_cleared_with_plan(FOLLOW_UP, "p1", None, None)


def test_no_decision_at_all_is_not_cleared():
    with pytest.raises(errors.PatientNotCleared) as refused:
        require_cleared_with_plan(INFUSION, "p1", None, plan())
    assert refused.value.reason == "PATIENT_NOT_CLEARED"
    assert refused.value.metadata == {"patient_id": "p1", "modality": "IV_KETAMINE",
                                      "latest_outcome": "NONE"}


@pytest.mark.parametrize("outcome", ["NOT_A_CANDIDATE", "NEEDS_MORE_INFORMATION", "UNKNOWN_7"])
def test_a_latest_decision_other_than_cleared_is_not_cleared(outcome):
    with pytest.raises(errors.PatientNotCleared) as refused:
        require_cleared_with_plan(INFUSION, "p1", decision(outcome), plan())
    assert refused.value.metadata["latest_outcome"] == outcome
    assert outcome in refused.value.message


def test_a_cleared_patient_without_an_active_plan_has_no_active_plan():
    with pytest.raises(errors.NoActivePlan) as refused:
        require_cleared_with_plan(INFUSION, "p1", decision(), None)
    assert (refused.value.reason, refused.value.metadata["modality"]) == \
        ("NO_ACTIVE_PLAN", "IV_KETAMINE")


def test_the_clearance_is_checked_before_the_plan():
    with pytest.raises(errors.PatientNotCleared):
        require_cleared_with_plan(INFUSION, "p1", decision("NOT_A_CANDIDATE"), None)
