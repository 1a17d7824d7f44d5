"""Completed visits coded by the rules, through the event processor on SQLite and PostgreSQL.

Each of these billed differently before the coding rules: the first TMS session as 90868,
Spravato as G2082/G2083 for every payer, S0013 after 2026-01-01, drug lines bare.
"""

import datetime as dt

from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import payer_pb2
from clinic.billing.v1 import payer_service_pb2 as payer_pb
from clinic.intake.v1 import events_pb2 as intake
from clinic_common.identity import Role
from clinic_devtools.testing import auth

from tests.billing.support import completed

DAY = dt.date(2026, 3, 10)


def _visit(appointment_id, patient_id, appointment_type, *lines, day=DAY):
    event = completed(appointment_id, patient_id, day, *lines)
    event.appointment_type = appointment_type
    return event


def _coded(billing, appointment_id):
    charges = billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/-", appointment_id=appointment_id)).charges
    return [(c.procedure_code, c.units, list(c.modifiers)) for c in charges]


def test_the_first_tms_session_bills_mapping_and_later_ones_the_subsequent_code(billing):
    billing.register("p1")
    billing.deliver(_visit("t1", "p1", "TMS_SESSION", ("90868", 1)))
    billing.deliver(_visit("t2", "p1", "TMS_SESSION", ("90868", 1),
                           day=DAY + dt.timedelta(days=1)))
    assert _coded(billing, "t1") == [("90867", 1, [])]
    assert _coded(billing, "t2") == [("90868", 1, [])]


def test_spravato_for_a_commercial_payer_bills_j0013_per_mg_with_an_em_code(billing):
    billing.register("p1")
    billing.cover("p1", "cov-1", "60054")
    billing.deliver(_visit("s1", "p1", "SPRAVATO_SESSION", ("G2083", 1)))
    assert _coded(billing, "s1") == [("99213", 1, []), ("J0013", 84, [])]
    [_, drug_line] = billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1")).charges
    assert (drug_line.drug.ndc, drug_line.drug.unit_of_measure, drug_line.drug.quantity) == \
        ("50458-0028-02", "UN", "3")
    assert drug_line.diagnosis_codes == ["F33.2"]


def test_spravato_for_medicare_bills_the_bundled_code_by_dose(billing):
    billing.register("p1")
    billing.cover("p1", "cov-1", "MCR", plan_type="MEDICARE")
    billing.deliver(_visit("s1", "p1", "SPRAVATO_SESSION", ("G2082", 1)))
    assert _coded(billing, "s1") == [("G2082", 1, [])]


def test_the_payer_kind_the_billing_team_keeps_decides_over_the_plan_type(billing):
    billing.payers.CreatePayer(payer_pb.CreatePayerRequest(
        payer_id="MCR", payer=payer_pb2.Payer(display_name="Medicare",
                                              kind=payer_pb2.PAYER_KIND_MEDICARE)),
        metadata=auth.metadata(Role.BILLING))
    billing.register("p1")
    billing.cover("p1", "cov-1", "MCR", plan_type="PPO")
    billing.deliver(_visit("s1", "p1", "SPRAVATO_SESSION", ("G2083", 1)))
    assert _coded(billing, "s1") == [("G2083", 1, [])]


def test_medicare_ketamine_from_a_multiple_dose_vial_has_no_jz_and_carries_its_ndc_quantity(
        billing):
    billing.register("p1")
    billing.cover("p1", "cov-1", "MCR", plan_type="MEDICARE")
    billing.deliver(_visit("k1", "p1", "IV_KETAMINE_INFUSION", ("96365", 1), ("J3490", 35)))
    assert _coded(billing, "k1") == [("96365", 1, []), ("J3490", 35, [])]
    drug = billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1")).charges[1].drug
    assert (drug.unit_of_measure, drug.quantity) == ("ML", "0.7")


def test_charges_are_named_under_their_account(billing):
    billing.register("p1")
    billing.deliver(_visit("f1", "p1", "FOLLOW_UP", ("99213", 1)))
    [charge] = billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1")).charges
    assert charge.name == f"accounts/p1/charges/{charge.charge_id}"
    assert billing.charges.GetCharge(charge_pb.GetChargeRequest(name=charge.name)).charge == charge


def test_the_plan_gives_the_infusion_length_and_the_indication_the_visit_leaves_out(billing):
    billing.register("p1")
    billing.deliver(intake.TreatmentPlanCreated(
        patient_id="p1", plan_id="plan-1", version=1, modality=intake.MODALITY_IV_KETAMINE,
        indication_code="G90.5", dose_mcg=35000, duration_minutes=120))
    billing.deliver(intake.TreatmentPlanAmended(
        patient_id="p1", plan_id="plan-1", version=2, indication_code="G90.5", dose_mcg=35000,
        duration_minutes=240))
    event = _visit("k1", "p1", "IV_KETAMINE_INFUSION", ("96365", 1), ("J3490", 35))
    for line in event.service_lines:
        del line.diagnosis_codes[:]
    billing.deliver(event)
    assert _coded(billing, "k1") == [("96365", 1, []), ("96366", 3, []), ("J3490", 35, [])]
    charges = billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1")).charges
    assert {tuple(c.diagnosis_codes) for c in charges} == {("G90.5",)}


def test_a_follow_up_points_at_what_the_patient_is_treated_for(billing):
    billing.register("p1")
    event = _visit("f0", "p1", "FOLLOW_UP", ("99213", 1))
    del event.service_lines[0].diagnosis_codes[:]
    billing.deliver(event)  # no plan yet: no diagnosis to point at
    billing.deliver(intake.TreatmentPlanCreated(
        patient_id="p1", plan_id="plan-1", version=1, modality=intake.MODALITY_TMS,
        indication_code="F33.2"))
    event = _visit("f1", "p1", "FOLLOW_UP", ("99213", 1))
    del event.service_lines[0].diagnosis_codes[:]
    billing.deliver(event)
    charges = billing.charges.ListCharges(charge_pb.ListChargesRequest(
        parent="accounts/p1")).charges
    assert sorted((c.appointment_id, tuple(c.diagnosis_codes)) for c in charges) == \
        [("f0", ()), ("f1", ("F33.2",))]


def test_the_visit_scheduling_recorded_decides_over_the_fallbacks(billing):
    """The dose given, the minutes infused and the first-TMS flag from the completed visit
    take the place of the reported units, the plan and billing's own charge history."""
    billing.register("p1")
    infusion = _visit("k1", "p1", "IV_KETAMINE_INFUSION", ("96365", 1), ("J3490", 35))
    infusion.dose_given_mcg = 37_500
    infusion.infusion_minutes = 100
    billing.deliver(infusion)
    assert _coded(billing, "k1") == [("96365", 1, []), ("96366", 1, []), ("J3490", 38, [])]
    tms = _visit("t1", "p1", "TMS_SESSION", ("90868", 1))
    tms.first_tms_session = False  # mapped elsewhere before: not billed as the first
    billing.deliver(tms)
    assert _coded(billing, "t1") == [("90868", 1, [])]


def test_a_follow_up_bills_the_e_m_level_the_visit_reports(billing):
    billing.register("p1")
    for appointment_id, level in (("f2", 2), ("f4", 4), ("f5", 5)):
        event = _visit(appointment_id, "p1", "FOLLOW_UP", ("99213", 1))
        event.em_level = level
        billing.deliver(event)
    assert [_coded(billing, a) for a in ("f2", "f4", "f5")] == [
        [("99212", 1, [])], [("99214", 1, [])], [("99215", 1, [])]]


def test_an_evaluation_bills_by_the_provider_credential_the_visit_reports(billing):
    billing.register("p1")
    for appointment_id, credential in (("e-md", "MD"), ("e-np", "NP"), ("e-psyd", "PSYD"),
                                       ("e-lcsw", "LCSW")):
        event = _visit(appointment_id, "p1", "PSYCHIATRIC_EVALUATION", ("90792", 1))
        event.provider_credential = credential
        billing.deliver(event)
    assert [_coded(billing, a)[0][0] for a in ("e-md", "e-np", "e-psyd", "e-lcsw")] == \
        ["90792", "90792", "90791", "90791"]


def test_a_tms_session_with_a_motor_threshold_re_determination_bills_90869(billing):
    billing.register("p1")
    first = _visit("t1", "p1", "TMS_SESSION", ("90868", 1))
    first.first_tms_session, first.motor_threshold_redetermined = True, False
    billing.deliver(first)
    redone = _visit("t2", "p1", "TMS_SESSION", ("90868", 1), day=DAY + dt.timedelta(days=1))
    redone.first_tms_session, redone.motor_threshold_redetermined = False, True
    billing.deliver(redone)
    assert (_coded(billing, "t1"), _coded(billing, "t2")) == \
        ([("90867", 1, [])], [("90869", 1, [])])


def test_the_drug_discarded_the_visit_reports_is_the_jw_line(billing):
    """Medicare, esketamine from 28 mg single-dose devices reported per mg (J0013): the
    discarded amount the visit reports is billed with JW, not what billing would infer
    from the devices (30 mg given leaves 26 mg of two devices); nothing discarded is JZ."""
    billing.register("p1")
    billing.cover("p1", "cov-1", "MCR", plan_type="MEDICARE")
    wasted = _visit("w1", "p1", "VISIT", ("J0013", 30))
    wasted.drug, wasted.drug_wasted_mcg = "esketamine", 54_000
    billing.deliver(wasted)
    whole = _visit("w2", "p1", "VISIT", ("J0013", 56), day=DAY + dt.timedelta(days=1))
    whole.drug, whole.drug_wasted_mcg = "esketamine", 0
    billing.deliver(whole)
    assert _coded(billing, "w1") == [("J0013", 30, []), ("J0013", 54, ["JW"])]
    assert _coded(billing, "w2") == [("J0013", 56, ["JZ"])]


def test_a_medicare_spravato_session_is_bundled_whatever_was_discarded(billing):
    """G2082/G2083 include the drug: a discarded amount adds no JW line to them."""
    billing.register("p1")
    billing.cover("p1", "cov-1", "MCR", plan_type="MEDICARE")
    event = _visit("s1", "p1", "SPRAVATO_SESSION", ("G2082", 1))
    event.drug, event.dose_given_mcg, event.drug_wasted_mcg = "esketamine", 56_000, 28_000
    billing.deliver(event)
    assert _coded(billing, "s1") == [("G2082", 1, [])]


def test_an_event_without_the_reported_facts_codes_with_the_fallbacks(billing):
    """An AppointmentCompleted from before scheduling reported these facts."""
    billing.register("p1")
    billing.cover("p1", "cov-1", "MCR", plan_type="MEDICARE")
    billing.deliver(_visit("f1", "p1", "FOLLOW_UP", ("99213", 1)))
    billing.deliver(_visit("e1", "p1", "PSYCHIATRIC_EVALUATION", ("90791", 1)))
    billing.deliver(_visit("j1", "p1", "VISIT", ("J0013", 30)))
    assert _coded(billing, "f1") == [("99213", 1, [])]
    assert _coded(billing, "e1") == [("90791", 1, [])]
    assert _coded(billing, "j1") == [("J0013", 30, []), ("J0013", 26, ["JW"])]
