"""The coding rules, one table per rule, on the packaged rules file.

The review cases of the billing issue are here: a 4-hour infusion bills 96366 x3,
the first TMS session bills 90867, a re-determination 90869, Spravato differs by
payer, S0013 gives way to J0013 on 2026-01-01, drug lines carry name, NDC, unit
and quantity.
"""

import dataclasses
import datetime as dt

import pytest
import yaml
from clinic_billing.adapters import coding_rules
from clinic_billing.domain.coding import (
    PayerKind,
    Visit,
    code_visit,
    infusion_hours,
    opened_but_not_given,
)
from clinic_billing.domain.model import LineItem

RULES = coding_rules.load()
DAY = dt.date(2026, 3, 2)
MEDICARE, MEDICAID, COMMERCIAL = PayerKind.MEDICARE, PayerKind.MEDICAID, PayerKind.COMMERCIAL


def coded(visit: Visit) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(line.procedure_code, line.units, line.modifiers) for line in code_visit(visit, RULES)]


@pytest.mark.parametrize("minutes, expected", [
    (0, (0, 0)), (40, (1, 0)), (60, (1, 0)), (90, (1, 0)), (91, (1, 1)), (120, (1, 1)),
    (150, (1, 1)), (151, (1, 2)), (240, (1, 3)),
])
def test_infusion_hours_count_an_additional_hour_past_30_minutes_into_it(minutes, expected):
    assert infusion_hours(minutes, 30) == expected


@pytest.mark.parametrize("minutes, infusion_lines", [
    (60, [("96365", 1, ())]),
    (90, [("96365", 1, ())]),
    (91, [("96365", 1, ()), ("96366", 1, ())]),
    (150, [("96365", 1, ()), ("96366", 1, ())]),
    (151, [("96365", 1, ()), ("96366", 2, ())]),
    (240, [("96365", 1, ()), ("96366", 3, ())]),
    (None, [("96365", 1, ())]),  # minutes not reported: the first hour only
])
def test_infusion_codes_from_the_actual_minutes(minutes, infusion_lines):
    visit = Visit("IV_KETAMINE_INFUSION", DAY, minutes=minutes, dose_mg=35)
    assert coded(visit) == [*infusion_lines, ("J3490", 35, ())]


def test_ketamine_line_carries_drug_name_ndc_unit_and_quantity():
    lines = code_visit(Visit("IV_KETAMINE_INFUSION", DAY, minutes=60, dose_mg=35), RULES)
    drug = lines[-1].drug
    assert drug.name.startswith("Ketamine")
    assert [len(p) for p in drug.ndc.split("-")] == [5, 4, 2]
    assert (drug.unit_of_measure, drug.quantity) == ("ML", "0.7")


def test_ketamine_dose_falls_back_to_the_reported_j3490_units():
    visit = Visit("IV_KETAMINE_INFUSION", DAY, reported=(LineItem("96365"), LineItem("J3490", 50)))
    assert coded(visit)[-1] == ("J3490", 50, ())


def test_ketamine_without_a_dose_keeps_zero_units_for_staff_to_correct():
    line = code_visit(Visit("IV_KETAMINE_INFUSION", DAY), RULES)[-1]
    assert (line.procedure_code, line.units, line.drug.quantity) == ("J3490", 0, "")


@pytest.mark.parametrize("first, redetermination, expected", [
    (True, False, "90867"), (False, False, "90868"), (None, False, "90868"),
    (False, True, "90869"), (True, True, "90869"),
])
def test_tms_codes(first, redetermination, expected):
    visit = Visit("TMS_SESSION", DAY, first_tms_session=first,
                  motor_threshold_redetermination=redetermination)
    assert coded(visit) == [(expected, 1, ())]


@pytest.mark.parametrize("provider_type, reported, expected", [
    ("MD", (), "90792"), ("NP", (), "90792"), ("PSYCHOLOGIST", (), "90791"),
    ("LCSW", (LineItem("90792"),), "90791"), ("", (LineItem("90791"),), "90791"),
    ("", (), "90792"),
])
def test_evaluation_codes_by_provider_type(provider_type, reported, expected):
    visit = Visit("PSYCHIATRIC_EVALUATION", DAY, reported=reported, provider_type=provider_type)
    assert coded(visit) == [(expected, 1, ())]


@pytest.mark.parametrize("level, expected", [
    (2, "99212"), (3, "99213"), (4, "99214"), (5, "99215"), (None, "99213"), (1, "99213"),
    (6, "99213"), (9, "99213"),
])
def test_follow_up_codes_by_visit_level(level, expected):
    assert coded(Visit("FOLLOW_UP", DAY, visit_level=level)) == [(expected, 1, ())]


@pytest.mark.parametrize("payer, dose, day, expected", [
    (MEDICARE, 28, DAY, [("G2082", 1, ())]),
    (MEDICARE, 56, DAY, [("G2082", 1, ())]),
    (MEDICARE, 57, DAY, [("G2083", 1, ())]),
    (MEDICARE, 84, DAY, [("G2083", 1, ())]),
    (MEDICAID, 56, DAY, [("99213", 1, ()), ("J0013", 56, ())]),
    (COMMERCIAL, 56, DAY, [("99213", 1, ()), ("J0013", 56, ())]),
    (COMMERCIAL, 84, DAY, [("99213", 1, ()), ("J0013", 84, ())]),
    (MEDICAID, 84, DAY, [("99213", 1, ()), ("J0013", 84, ())]),
    (COMMERCIAL, 56, dt.date(2025, 12, 31), [("99213", 1, ()), ("S0013", 56, ())]),
    (COMMERCIAL, 56, dt.date(2026, 1, 1), [("99213", 1, ()), ("J0013", 56, ())]),
])
def test_spravato_codes_by_payer_kind_and_dose(payer, dose, day, expected):
    assert coded(Visit("SPRAVATO_SESSION", day, payer_kind=payer, dose_mg=dose)) == expected


@pytest.mark.parametrize("reported, expected_units", [("G2082", 56), ("G2083", 84)])
def test_spravato_dose_falls_back_to_the_reported_band(reported, expected_units):
    visit = Visit("SPRAVATO_SESSION", DAY, reported=(LineItem(reported),), visit_level=4)
    assert coded(visit) == [("99214", 1, ()), ("J0013", expected_units, ())]


def test_esketamine_line_counts_devices():
    drug = code_visit(Visit("SPRAVATO_SESSION", DAY, dose_mg=84), RULES)[-1].drug
    assert (drug.ndc, drug.unit_of_measure, drug.quantity) == ("50458-0028-02", "UN", "3")


SINGLE_DOSE_KETAMINE = dataclasses.replace(RULES, drugs={
    **RULES.drugs,
    "ketamine": dataclasses.replace(RULES.drugs["ketamine"], single_dose_container=True)})


@pytest.mark.parametrize("payer, wasted, expected", [
    (MEDICARE, None, [("J3490", 35, ()), ("J3490", 15, ("JW",))]),  # 50 mg opened
    (MEDICARE, 0, [("J3490", 35, ("JZ",))]),
    (MEDICARE, 15, [("J3490", 35, ()), ("J3490", 15, ("JW",))]),
    (COMMERCIAL, 15, [("J3490", 35, ())]),
    (MEDICAID, None, [("J3490", 35, ())]),
    (MEDICAID, 15, [("J3490", 35, ())]),
])
def test_drug_waste_modifiers_where_the_payer_requires_them(payer, wasted, expected):
    visit = Visit("IV_KETAMINE_INFUSION", DAY, payer_kind=payer, minutes=60, dose_mg=35,
                  wasted_mg=wasted)
    lines = code_visit(visit, SINGLE_DOSE_KETAMINE)
    assert [(x.procedure_code, x.units, x.modifiers) for x in lines][1:] == expected


@pytest.mark.parametrize("wasted", [None, 0, 15])
def test_ketamine_from_multiple_dose_vials_carries_no_waste_modifier_even_for_medicare(wasted):
    assert not RULES.drugs["ketamine"].single_dose_container
    visit = Visit("IV_KETAMINE_INFUSION", DAY, payer_kind=MEDICARE, minutes=60, dose_mg=35,
                  wasted_mg=wasted)
    assert coded(visit)[1:] == [("J3490", 35, ())]


@pytest.mark.parametrize("dose, mg_per_container, left", [
    (56, 28, 0), (84, 28, 0), (28, 28, 0), (30, 28, 26), (55, 28, 1), (35, 50, 15),
])
def test_what_a_single_dose_container_leaves(dose, mg_per_container, left):
    assert opened_but_not_given(dose, mg_per_container) == left


def test_an_unreported_discard_is_what_the_opened_devices_left():
    visit = Visit("VISIT", DAY, reported=(LineItem("J0013", 30),), payer_kind=MEDICARE)
    lines = code_visit(visit, RULES)
    assert [(x.procedure_code, x.units, x.modifiers) for x in lines] == [
        ("J0013", 30, ()), ("J0013", 26, ("JW",))]
    assert coded(dataclasses.replace(visit, wasted_mg=0)) == [("J0013", 30, ("JZ",))]


@pytest.mark.parametrize("payer, expected", [
    (MEDICARE, [("J0013", 56, ("JZ",))]), (MEDICAID, [("J0013", 56, ())]),
    (COMMERCIAL, [("J0013", 56, ())]),
])
def test_a_single_dose_esketamine_line_carries_jz_for_medicare_only(payer, expected):
    visit = Visit("VISIT", DAY, reported=(LineItem("J0013", 56),), payer_kind=payer)
    assert coded(visit) == expected


def test_a_drug_without_its_container_kind_is_refused():
    data = yaml.safe_load(coding_rules.DEFAULT_PATH.read_text(encoding="utf-8"))
    del data["drugs"]["ketamine"]["single_dose_container"]
    with pytest.raises(coding_rules.CodingRulesError):
        coding_rules.rules_from(data)


def test_every_line_points_at_the_plan_indication():
    visit = Visit("SPRAVATO_SESSION", DAY, dose_mg=56, diagnosis_codes=("F33.2",))
    assert {line.diagnosis_codes for line in code_visit(visit, RULES)} == {("F33.2",)}


def test_a_visit_type_without_rules_bills_what_it_reported_with_drug_details():
    visit = Visit("VISIT", DAY, reported=(LineItem("99214"), LineItem("J3490", 20)),
                  payer_kind=MEDICARE)
    lines = code_visit(visit, RULES)
    assert [(x.procedure_code, x.units, x.modifiers) for x in lines] == [
        ("99214", 1, ()), ("J3490", 20, ())]
    assert lines[1].drug.quantity == "0.4"


def test_a_malformed_rules_file_is_refused():
    with pytest.raises(coding_rules.CodingRulesError):
        coding_rules.rules_from({"infusion": {}})


@pytest.mark.parametrize("reported_minutes, plan_minutes, extra_hours", [
    (None, 240, [("96366", 3, ())]), (60, 240, []), (None, None, []), (91, None, [("96366", 1, ())]),
])
def test_the_plan_infusion_length_fills_in_for_unreported_minutes(reported_minutes, plan_minutes,
                                                                  extra_hours):
    visit = Visit("IV_KETAMINE_INFUSION", DAY, minutes=reported_minutes, plan_minutes=plan_minutes,
                  dose_mg=35)
    assert coded(visit)[1:-1] == extra_hours


@pytest.mark.parametrize("reported, plan_dose, expected_units", [
    ("G2083", 84, 84), ("G2083", 56, 84), ("G2082", 84, 56), ("G2082", 28, 28), (None, 84, 84),
    (None, None, 56),
])
def test_spravato_plan_dose_counts_when_it_agrees_with_the_reported_band(reported, plan_dose,
                                                                         expected_units):
    lines = (LineItem(reported),) if reported else ()
    visit = Visit("SPRAVATO_SESSION", DAY, reported=lines, plan_dose_mg=plan_dose)
    assert coded(visit)[-1] == ("J0013", expected_units, ())


def test_ketamine_dose_falls_back_to_the_plan_dose():
    visit = Visit("IV_KETAMINE_INFUSION", DAY, reported=(LineItem("J3490", 0),), plan_dose_mg=40)
    assert coded(visit)[-1] == ("J3490", 40, ())
