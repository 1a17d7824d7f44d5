"""ICD-10-CM codes checked against the code set: billable codes only, dotted, described."""

import datetime as dt

import pytest
from clinic_common.errors import FieldViolation
from clinic_intake.domain import common, history, icd10cm

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("given", "stored"), [
    ("F33.2", "F33.2"), ("f33.2", "F33.2"), (" F43.10 ", "F43.10"), ("F4310", "F43.10"),
    ("U07.1", "U07.1"), ("G90.511", "G90.511"), ("G43.909", "G43.909"), ("F32.A", "F32.A"),
    ("Z3A.00", "Z3A.00"), ("S06.0X1A", "S06.0X1A"), ("M797", "M79.7"),
])
def test_billable_codes_are_accepted_with_their_dot(given, stored):
    assert common.icd10(given, "code") == stored


@pytest.mark.parametrize(("code", "suggested"), [
    ("F43.1", "F43.10, F43.11, F43.12"),
    ("F33", "F33.0, F33.1, F33.2"),
    ("G90.5", "G90.50"),
    ("G43", "G43."),
    ("F431", "F43.10"),
])
def test_a_category_is_refused_naming_the_billable_codes_beneath_it(code, suggested):
    with pytest.raises(FieldViolation) as refused:
        common.icd10(code, "entry.condition.code")
    assert refused.value.field == "entry.condition.code"
    assert "is not billable; use a more specific code such as" in str(refused.value)
    assert suggested in str(refused.value)


def test_the_message_names_a_non_billable_code_in_its_dotted_form():
    with pytest.raises(FieldViolation) as refused:
        common.icd10("F431", "code")
    assert "F43.1 is not billable" in str(refused.value)


@pytest.mark.parametrize("code", ["F99.99", "XYZ", "F33.2.1", "F30-F39", "5", "U07.9",
                                  "F33.2; DROP", "\x00", "F" * 200])
def test_a_code_the_code_set_does_not_have_is_refused_naming_it(code):
    with pytest.raises(FieldViolation) as refused:
        common.icd10(code, "code")
    assert "is not an ICD-10-CM code" in str(refused.value)
    assert repr(code.strip()[:20]) in str(refused.value)


def test_an_empty_code_is_required():
    with pytest.raises(FieldViolation, match="is required"):
        common.icd10("  ", "code")


def test_descriptions_come_from_the_code_set():
    assert icd10cm.description("F43.10") == "Post-traumatic stress disorder, unspecified"
    assert icd10cm.description("F4310") == "Post-traumatic stress disorder, unspecified"
    assert icd10cm.description("not a code") == ""


def test_a_condition_entry_refuses_a_category_and_stores_the_dotted_code():
    with pytest.raises(FieldViolation) as refused:
        history.HistoryEntry.record("p1", history.Condition("F33"), "dr-lee", NOW)
    assert refused.value.field == "entry.condition.code"
    entry = history.HistoryEntry.record("p1", history.Condition("F332"), "dr-lee", NOW)
    assert entry.data["code"] == "F33.2"
