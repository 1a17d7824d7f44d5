"""The packaged instruments score by their published rules; definitions are data."""

import pytest
from clinic_common.errors import FieldViolation
from clinic_intake.adapters.definitions import load_instruments
from clinic_intake.domain.instrument_definitions import instrument_from
from clinic_intake.domain.instruments import DefinitionError

from tests.intake.support import answers_totalling

REGISTRY = load_instruments()

# (instrument, total, severity band) at every published band edge.
PUBLISHED_BANDS = [
    ("PHQ-9", 0, "minimal"), ("PHQ-9", 4, "minimal"), ("PHQ-9", 5, "mild"),
    ("PHQ-9", 9, "mild"), ("PHQ-9", 10, "moderate"), ("PHQ-9", 14, "moderate"),
    ("PHQ-9", 15, "moderately severe"), ("PHQ-9", 19, "moderately severe"),
    ("PHQ-9", 20, "severe"), ("PHQ-9", 27, "severe"),
    ("GAD-7", 0, "minimal"), ("GAD-7", 4, "minimal"), ("GAD-7", 5, "mild"),
    ("GAD-7", 9, "mild"), ("GAD-7", 10, "moderate"), ("GAD-7", 14, "moderate"),
    ("GAD-7", 15, "severe"), ("GAD-7", 21, "severe"),
    ("PCL-5", 0, "below threshold"), ("PCL-5", 32, "below threshold"),
    ("PCL-5", 33, "probable PTSD"), ("PCL-5", 80, "probable PTSD"),
    ("PAIN-NRS", 0, "none"), ("PAIN-NRS", 1, "mild"), ("PAIN-NRS", 3, "mild"),
    ("PAIN-NRS", 4, "moderate"), ("PAIN-NRS", 6, "moderate"), ("PAIN-NRS", 7, "severe"),
    ("PAIN-NRS", 10, "severe"),
]


def _answers(values):
    return list(enumerate(values, 1))


@pytest.mark.parametrize(("code", "total", "severity"), PUBLISHED_BANDS)
def test_totals_fall_in_the_published_severity_bands(code, total, severity):
    instrument = REGISTRY.get(code)
    values = answers_totalling(total, instrument.item_count, instrument.item_max)
    if code == "PHQ-9":  # keep item 9 at zero so no flag interferes
        values = answers_totalling(total, 8, 3) + [0] if total <= 24 else values
    score = instrument.score(_answers(values))
    assert (score.total, score.severity) == (total, severity)


@pytest.mark.parametrize(("code", "items", "top", "maximum"), [
    ("PHQ-9", 9, 3, 27), ("GAD-7", 7, 3, 21), ("PCL-5", 20, 4, 80), ("PAIN-NRS", 1, 10, 10)])
def test_instruments_have_their_published_items_and_range(code, items, top, maximum):
    instrument = REGISTRY.get(code)
    assert (instrument.item_count, instrument.item_min, instrument.item_max,
            instrument.max_total) == (items, 0, top, maximum)


def test_phq9_item_9_above_zero_raises_a_suicidality_flag():
    phq9 = REGISTRY.get("PHQ-9")
    assert phq9.score(_answers([0] * 8 + [1])).flags == ("SUICIDALITY",)
    assert phq9.score(_answers([3] * 8 + [0])).flags == ()


def test_no_other_packaged_instrument_raises_flags():
    for code in ("GAD-7", "PCL-5", "PAIN-NRS"):
        instrument = REGISTRY.get(code)
        assert instrument.score(_answers([instrument.item_max] * instrument.item_count)) \
            .flags == ()


@pytest.mark.parametrize(("values", "message"), [
    ([0] * 8, "not answered"),
    ([0] * 8 + [4], "between 0 and 3"),
    ([0] * 8 + [-1], "between 0 and 3"),
])
def test_incomplete_or_out_of_range_answers_are_refused(values, message):
    with pytest.raises(FieldViolation) as refused:
        REGISTRY.get("PHQ-9").score(_answers(values))
    assert message in refused.value.message


def test_an_item_answered_twice_or_unknown_is_refused():
    phq9 = REGISTRY.get("PHQ-9")
    with pytest.raises(FieldViolation):
        phq9.score(_answers([0] * 9) + [(9, 0)])
    with pytest.raises(FieldViolation):
        phq9.score(_answers([0] * 9) + [(10, 0)])


def test_unknown_instrument_is_refused_with_its_reason():
    with pytest.raises(FieldViolation) as refused:
        REGISTRY.get("BDI-II")
    assert refused.value.reason == "UNKNOWN_INSTRUMENT"


def _definition(**changes) -> dict:
    data = {"code": "X", "items": {"count": 2, "min": 0, "max": 2}, "scoring": "sum",
            "bands": [{"min": 0, "max": 1, "label": "low"}, {"min": 2, "max": 4, "label": "hi"}]}
    data.update(changes)
    return data


@pytest.mark.parametrize("changes", [
    {"bands": [{"min": 0, "max": 1, "label": "low"}, {"min": 3, "max": 4, "label": "hi"}]},
    {"bands": [{"min": 0, "max": 3, "label": "all"}]},
    {"flags": [{"kind": "K", "item": 3, "above": 0}]},
    {"scoring": "mean"},
    {"items": {"count": 2}},
    {"code": None, "bands": "x"},
])
def test_malformed_definitions_are_refused(changes):
    with pytest.raises(DefinitionError):
        instrument_from(_definition(**changes))


def test_an_added_definition_file_makes_a_new_instrument(tmp_path):
    (tmp_path / "x.yaml").write_text(
        "code: WHO-5\ntitle: WHO-5 Well-Being Index\nitems: {count: 5, min: 0, max: 5}\n"
        "bands:\n  - {min: 0, max: 12, label: poor}\n  - {min: 13, max: 25, label: good}\n")
    registry = load_instruments(tmp_path)
    assert "WHO-5" in registry.codes() and "PHQ-9" in registry.codes()
    assert registry.get("WHO-5").score(_answers([3, 3, 3, 2, 2])).severity == "good"
