"""TreatmentPlanService over gRPC on SQLite and PostgreSQL: doses, versions, refusals."""

import datetime as dt

import grpc
import pytest
import yaml
from clinic.intake.v1 import consent_pb2
from clinic.intake.v1 import consent_service_pb2 as consent_pb
from clinic.intake.v1 import events_pb2 as ev
from clinic.intake.v1 import screening_service_pb2 as screening_pb
from clinic.intake.v1 import treatment_plan_pb2 as tp
from clinic.intake.v1 import treatment_plan_service_pb2 as pb
from clinic_intake.adapters import definitions
from google.protobuf import field_mask_pb2

from tests.intake.support import (
    DR_KIM,
    NO_TOKEN,
    STAFF,
    decide,
    event_types,
    outbox,
    prepare_for,
    reason,
    record_vitals,
    refused,
    register,
    screen,
    sign_consent,
)

KETAMINE, SPRAVATO, TMS = ev.MODALITY_IV_KETAMINE, ev.MODALITY_SPRAVATO, ev.MODALITY_TMS
NOW = dt.datetime.now(dt.UTC)


def _cleared(api, modality=KETAMINE, **fields):
    patient = register(api, **fields)
    consents = prepare_for(api, patient.name, modality)
    decide(api, patient.name, modality)
    return patient, consents


def _create(api, parent, modality=KETAMINE, metadata=STAFF, series=None, **plan):
    plan.setdefault("indication_code", "F33.2")
    message = tp.TreatmentPlan(modality=modality, series=series or tp.Series(), **plan)
    return api.plans.CreateTreatmentPlan(pb.CreateTreatmentPlanRequest(
        parent=parent, plan=message), metadata=metadata).plan


def _amend(api, name, paths, why="partial response", metadata=STAFF, **plan):
    return api.plans.AmendTreatmentPlan(pb.AmendTreatmentPlanRequest(
        plan=tp.TreatmentPlan(name=name, **plan), reason=why,
        update_mask=field_mask_pb2.FieldMask(paths=paths)), metadata=metadata).plan


def _refusal(call, api, *args, **kwargs):
    before = event_types(api.runtime)
    error = refused(call, api, *args, **kwargs)
    assert event_types(api.runtime) == before, "a refused change announced something"
    return error.code(), reason(error)


def test_ketamine_plan_doses_from_the_recent_weight_and_is_announced(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    assert (plan.version, plan.state, plan.indication_code) == \
        (1, tp.TREATMENT_PLAN_STATE_ACTIVE, "F33.2")
    assert (plan.series.sessions, plan.series.min_spacing_hours, plan.series.window_days) == \
        (6, 24, 21)
    assert (plan.dose.dose_mcg, plan.dose.computed_dose_mcg, plan.dose.mg_per_kg,
            plan.dose.weight_grams) == (41150, 41150, "0.5", 82300)
    assert (plan.protocol, plan.dose.duration_minutes, plan.dose.mg_per_kg_per_hour) == \
        ("ketamine_depression", 40, "0.75")
    assert plan.candidacy_decision.startswith(ana.name + "/candidacyDecisions/")
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key) == ("TreatmentPlanCreated", ana.patient_id)
    assert (event.plan_id, event.version, event.modality, event.indication_code,
            event.series_sessions, event.min_spacing_hours, event.series_window_days,
            event.dose_mcg) == (plan.plan_id, 1, KETAMINE, "F33.2", 6, 24, 21, 41150)
    assert (event.protocol, event.duration_minutes) == ("ketamine_depression", 40)
    assert event.candidacy_decision_id == plan.candidacy_decision.rsplit("/", 1)[-1]
    # Scheduling checks the weight's age at check-in.
    assert event.weight_measure_time == plan.dose.weight_measure_time
    assert event.HasField("weight_measure_time")
    assert api.plans.GetTreatmentPlan(pb.GetTreatmentPlanRequest(name=plan.name)).plan == plan


def test_a_stale_weight_is_a_failed_precondition_until_a_new_one_is_taken(api):
    ana = register(api)
    screen(api, ana.name)
    record_vitals(api, ana.name, NOW - dt.timedelta(days=31), weight_grams=90000,
                  systolic_mmhg=120, diastolic_mmhg=80)
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT)
    decide(api, ana.name, KETAMINE)
    assert _refusal(_create, api, ana.name) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                "WEIGHT_STALE")
    assert api.plans.ListTreatmentPlans(pb.ListTreatmentPlansRequest(
        parent=ana.name)).plans == []
    record_vitals(api, ana.name, weight_grams=88000)
    assert _create(api, ana.name).dose.dose_mcg == 44000


def test_weight_window_and_protocols_are_configuration(start_intake, tmp_path):
    packaged = yaml.safe_load(definitions.PROTOCOLS.read_text())
    depression = next(p for p in packaged["protocols"] if p["id"] == "ketamine_depression")
    depression["dose"]["mg_per_kg"] = 0.75
    path = tmp_path / "protocols.yaml"
    path.write_text(yaml.safe_dump(packaged))
    api = start_intake(weight_max_age_days=1, dosing_protocols_path=str(path))
    ana, _ = _cleared(api)
    assert _create(api, ana.name).dose.dose_mcg == 61725


def test_the_provider_may_adjust_the_dose_with_a_reason_below_the_cap(api):
    ana, _ = _cleared(api)
    assert _refusal(_create, api, ana.name, dose=tp.Dose(dose_mcg=45000))[0] == \
        grpc.StatusCode.INVALID_ARGUMENT
    assert _refusal(_create, api, ana.name, dose=tp.Dose(
        dose_mcg=90000, adjustment_reason="x")) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                    "DOSE_ABOVE_CAP")
    plan = _create(api, ana.name, dose=tp.Dose(dose_mcg=45000,
                                               adjustment_reason="prior response at 0.55"))
    assert (plan.dose.dose_mcg, plan.dose.computed_dose_mcg, plan.dose.adjustment_reason) == \
        (45000, 41150, "prior response at 0.55")


def test_a_plan_needs_the_latest_decision_to_be_a_clearance(api):
    ana = register(api)
    prepare_for(api, ana.name, KETAMINE)
    assert _refusal(_create, api, ana.name) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                "NOT_CLEARED")
    decide(api, ana.name, KETAMINE)
    decide(api, ana.name, KETAMINE, ev.CANDIDACY_OUTCOME_NEEDS_MORE_INFORMATION, "new labs")
    assert _refusal(_create, api, ana.name)[1] == "NOT_CLEARED"


def test_a_clearance_for_one_modality_does_not_cover_another(api):
    ana, _ = _cleared(api)
    assert _refusal(_create, api, ana.name, TMS)[1] == "NOT_CLEARED"


def test_a_revoked_consent_or_a_new_safety_flag_stops_a_new_plan(api):
    ana, [consent] = _cleared(api)
    flagged = screen(api, ana.name, values=[0] * 8 + [2])
    assert _refusal(_create, api, ana.name)[1] == "UNACKNOWLEDGED_SAFETY_FLAG"
    api.screenings.AcknowledgeSafetyFlag(screening_pb.AcknowledgeSafetyFlagRequest(
        name=flagged.raised_flags[0]), metadata=STAFF)
    api.consents.RevokeConsent(consent_pb.RevokeConsentRequest(
        name=consent.name, reason="withdrew"), metadata=STAFF)
    assert _refusal(_create, api, ana.name)[1] == "CONSENT_REQUIRED"


def test_a_second_active_plan_of_one_modality_already_exists(api):
    ana, _ = _cleared(api)
    _create(api, ana.name)
    assert _refusal(_create, api, ana.name) == (grpc.StatusCode.ALREADY_EXISTS,
                                                "ACTIVE_PLAN_EXISTS")


def test_spravato_takes_a_protocol_dose_and_trd_starts_at_56_mg(api):
    ana, _ = _cleared(api, SPRAVATO)
    assert _refusal(_create, api, ana.name, SPRAVATO, protocol="spravato_trd",
                    dose=tp.Dose(dose_mcg=70000))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert _refusal(_create, api, ana.name, SPRAVATO, protocol="spravato_trd",
                    dose=tp.Dose(dose_mcg=84000, first_dose_mcg=84000)) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    plan = _create(api, ana.name, SPRAVATO, protocol="spravato_trd",
                   dose=tp.Dose(dose_mcg=84000))
    assert (plan.protocol, plan.dose.dose_mcg, plan.dose.first_dose_mcg,
            plan.series.sessions) == ("spravato_trd", 84000, 56000, 8)
    assert outbox(api.runtime)[-1][2].first_dose_mcg == 56000
    amended = _amend(api, plan.name, ["dose"], dose=tp.Dose(dose_mcg=56000))
    assert (amended.dose.dose_mcg, amended.dose.first_dose_mcg) == (56000, 56000)


def test_spravato_for_depression_needs_the_protocol_named_and_the_error_lists_them(api):
    ana, _ = _cleared(api, SPRAVATO)
    error = refused(_create, api, ana.name, SPRAVATO, dose=tp.Dose(dose_mcg=84000))
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                             "PROTOCOL_REQUIRED")
    assert "spravato_trd" in error.details() and "spravato_mdsi" in error.details()
    error = refused(_create, api, ana.name, SPRAVATO, protocol="spravato_everything",
                    dose=tp.Dose(dose_mcg=84000))
    assert (reason(error), "spravato_mdsi" in error.details()) == ("UNKNOWN_PROTOCOL", True)
    plan = _create(api, ana.name, SPRAVATO, protocol="spravato_mdsi",
                   dose=tp.Dose(dose_mcg=84000))
    assert (plan.protocol, plan.dose.first_dose_mcg) == ("spravato_mdsi", 84000)


def test_a_crps_patient_of_90_kg_gets_a_4_hour_infusion_at_the_protocol_rate(api):
    ana, _ = _cleared(api)
    record_vitals(api, ana.name, weight_grams=90000)
    plan = _create(api, ana.name, indication_code="G90.511")
    assert (plan.protocol, plan.dose.duration_minutes, plan.dose.mg_per_kg_per_hour,
            plan.dose.mg_per_kg, plan.dose.dose_mcg) == \
        ("ketamine_pain_crps", 240, "0.5", "2", 180000)  # 0.5 mg/kg/h * 90 kg * 4 h
    event = outbox(api.runtime)[-1][2]
    assert (event.protocol, event.duration_minutes, event.dose_mcg) == \
        ("ketamine_pain_crps", 240, 180000)
    shorter = _amend(api, plan.name, ["dose.duration_minutes"], why="tolerance",
                     dose=tp.Dose(duration_minutes=120))
    assert (shorter.version, shorter.dose.duration_minutes, shorter.dose.dose_mcg) == \
        (2, 120, 90000)
    assert outbox(api.runtime)[-1][2].duration_minutes == 120


def test_an_infusion_outside_the_protocol_duration_is_refused_naming_the_range(api):
    ana, _ = _cleared(api)
    error = refused(_create, api, ana.name, indication_code="M79.7",
                    dose=tp.Dose(duration_minutes=300))
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "DURATION_OUT_OF_RANGE")
    assert "40 to 240 minutes" in error.details()


def test_a_heavy_patient_above_a_cap_is_refused_not_silently_capped(api):
    ana, _ = _cleared(api)
    record_vitals(api, ana.name, weight_grams=160000)
    plan = _create(api, ana.name)
    assert (plan.dose.dose_mcg, plan.dose.mg_per_kg) == (80000, "0.5")
    record_vitals(api, ana.name, weight_grams=210000)
    error = refused(_amend, api, plan.name, ["dose"], why="new weight")
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "DOSE_ABOVE_CAP")
    assert "max_dose_mg" in error.details() and "ketamine_depression" in error.details()


def test_an_indication_no_protocol_covers_is_refused(api):
    ana, _ = _cleared(api)
    assert _refusal(_create, api, ana.name, indication_code="F33.3") == \
        (grpc.StatusCode.FAILED_PRECONDITION, "NO_PROTOCOL")


def test_tms_has_no_dose(api):
    ana, _ = _cleared(api, TMS)
    assert _refusal(_create, api, ana.name, TMS, dose=tp.Dose(dose_mcg=1000))[0] == \
        grpc.StatusCode.INVALID_ARGUMENT
    assert _create(api, ana.name, TMS).dose.dose_mcg == 0


@pytest.mark.parametrize(("plan", "expected"), [
    ({"indication_code": "sad"}, (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")),
    ({"series": tp.Series(sessions=6, min_spacing_hours=12)},
     (grpc.StatusCode.FAILED_PRECONDITION, "SPACING_BELOW_POLICY")),
    ({"series": tp.Series(sessions=200)}, (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")),
    ({"modality": ev.MODALITY_UNSPECIFIED}, (grpc.StatusCode.INVALID_ARGUMENT,
                                             "INVALID_FIELD")),
])
def test_malformed_or_off_policy_plans_are_refused(api, plan, expected):
    ana, _ = _cleared(api)
    plan = dict(plan)  # the parameters are shared by the SQLite and PostgreSQL runs
    modality = plan.pop("modality", KETAMINE)
    assert _refusal(_create, api, ana.name, modality, **plan) == expected
    assert api.plans.ListTreatmentPlans(pb.ListTreatmentPlansRequest(
        parent=ana.name)).plans == []


def test_writing_a_plan_needs_a_staff_id(api):
    ana, _ = _cleared(api)
    assert _refusal(_create, api, ana.name, metadata=NO_TOKEN) == \
        (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")


def test_amending_keeps_the_old_version_and_announces_the_new(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    amended = _amend(api, plan.name, ["series.sessions"], series=tp.Series(sessions=8),
                     metadata=DR_KIM)
    assert (amended.version, amended.series.sessions, amended.written_by,
            amended.version_reason) == (2, 8, "dr-kim", "partial response")
    versions = api.plans.ListTreatmentPlanVersions(pb.ListTreatmentPlanVersionsRequest(
        name=plan.name)).versions
    assert [(v.version, v.series.sessions, v.written_by) for v in versions] == \
        [(1, 6, "dr-lee"), (2, 8, "dr-kim")]
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key, event.version, event.series_sessions, event.dose_mcg) == \
        ("TreatmentPlanAmended", ana.patient_id, 2, 8, 41150)


def test_amending_the_dose_recomputes_it_from_the_latest_weight(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    record_vitals(api, ana.name, weight_grams=80000)
    amended = _amend(api, plan.name, ["dose"], why="new weight")
    assert (amended.version, amended.dose.dose_mcg, amended.dose.weight_grams) == \
        (2, 40000, 80000)


def test_an_amendment_that_changes_nothing_writes_no_version(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    same = _amend(api, plan.name, ["indication_code"], indication_code="F33.2")
    assert same.version == 1
    assert event_types(api.runtime).count("TreatmentPlanAmended") == 0


@pytest.mark.parametrize(("paths", "why", "metadata", "expected"), [
    (["series.sessions"], "", STAFF, (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")),
    (["modality"], "x", STAFF, (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")),
    ([], "x", STAFF, (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")),
    (["series.sessions"], "x", NO_TOKEN, (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")),
])
def test_malformed_amendments_are_refused(api, paths, why, metadata, expected):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    assert _refusal(_amend, api, plan.name, paths, why=why, metadata=metadata,
                    series=tp.Series(sessions=8)) == expected


def test_re_dosing_with_a_weight_stale_under_a_shorter_window_is_refused(start_intake):
    api = start_intake()
    ana = register(api)
    screen(api, ana.name)
    record_vitals(api, ana.name, NOW - dt.timedelta(days=10), weight_grams=80000,
                  systolic_mmhg=120, diastolic_mmhg=80)
    sign_consent(api, ana.name, consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT)
    decide(api, ana.name, KETAMINE)
    plan = _create(api, ana.name)
    strict = start_intake(weight_max_age_days=7)  # the same database, a stricter policy
    assert _refusal(_amend, strict, plan.name, ["dose"], why="re-dose") == \
        (grpc.StatusCode.FAILED_PRECONDITION, "WEIGHT_STALE")
    kept = strict.plans.GetTreatmentPlan(pb.GetTreatmentPlanRequest(name=plan.name)).plan
    assert (kept.version, kept.dose.dose_mcg) == (1, 40000)


def test_ending_a_plan_is_announced_and_stops_amendments(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    ended = api.plans.EndTreatmentPlan(pb.EndTreatmentPlanRequest(
        name=plan.name, reason=tp.TREATMENT_PLAN_END_REASON_COMPLETED), metadata=STAFF).plan
    assert (ended.state, ended.end_reason, ended.ended_by, ended.version) == \
        (tp.TREATMENT_PLAN_STATE_ENDED, tp.TREATMENT_PLAN_END_REASON_COMPLETED, "dr-lee", 1)
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key, event.plan_id, event.reason) == \
        ("TreatmentPlanEnded", ana.patient_id, plan.plan_id, "completed")
    assert _refusal(_amend, api, plan.name, ["series.sessions"],
                    series=tp.Series(sessions=8)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                      "PLAN_ENDED")
    again = refused(api.plans.EndTreatmentPlan, pb.EndTreatmentPlanRequest(
        name=plan.name, reason=tp.TREATMENT_PLAN_END_REASON_COMPLETED), metadata=STAFF)
    assert reason(again) == "PLAN_ENDED"
    assert _create(api, ana.name).version == 1  # a new plan may follow an ended one


def test_ending_needs_a_reason(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    error = refused(api.plans.EndTreatmentPlan, pb.EndTreatmentPlanRequest(name=plan.name),
                    metadata=STAFF)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_plan_is_not_found(api):
    ana = register(api)
    error = refused(api.plans.GetTreatmentPlan, pb.GetTreatmentPlanRequest(
        name=f"{ana.name}/treatmentPlans/nope"))
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND,
                                             "TREATMENT_PLAN_NOT_FOUND")


def test_merge_refuses_to_leave_two_active_plans_of_one_modality(api):
    from clinic.intake.v1 import intake_service_pb2 as intake_pb

    ana, _ = _cleared(api)
    bea, _ = _cleared(api, given_name="Bea", phone="+16195550999")
    kept = _create(api, ana.name)
    moved = _create(api, bea.name)
    merge = intake_pb.MergePatientsRequest(surviving_patient=ana.name, merged_patient=bea.name)
    error = refused(api.patients.MergePatients, merge, metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "MERGE_PLAN_CONFLICT")
    api.plans.EndTreatmentPlan(pb.EndTreatmentPlanRequest(
        name=moved.name, reason=tp.TREATMENT_PLAN_END_REASON_DISCONTINUED), metadata=STAFF)
    api.patients.MergePatients(merge, metadata=STAFF)
    listed = api.plans.ListTreatmentPlans(pb.ListTreatmentPlansRequest(parent=ana.name)).plans
    assert sorted(p.plan_id for p in listed) == sorted([kept.plan_id, moved.plan_id])


def test_an_indication_another_protocol_covers_switches_the_protocol_and_redoses(api):
    ana, _ = _cleared(api)
    plan = _create(api, ana.name)
    series_only = _amend(api, plan.name, ["series.sessions"], series=tp.Series(sessions=8))
    assert (series_only.protocol, series_only.dose.dose_mcg) == ("ketamine_depression", 41150)
    switched = _amend(api, plan.name, ["indication_code"], why="CRPS diagnosed",
                      indication_code="G90.511")
    assert (switched.version, switched.protocol, switched.dose.duration_minutes,
            switched.dose.dose_mcg) == (3, "ketamine_pain_crps", 240, 164600)
    event = outbox(api.runtime)[-1][2]
    assert (event.protocol, event.duration_minutes, event.dose_mcg) == \
        ("ketamine_pain_crps", 240, 164600)
