"""Contracted rates: which one prices a line, and that periods of one code never overlap."""

import datetime as dt

import pytest
from clinic_billing.domain.contract import ContractedRate, allowed_per_unit, ensure_no_overlap
from clinic_common.errors import ClinicError, FieldViolation

D = dt.date
RATES = [
    ContractedRate("a", "60054", "J3490", 90, effective_to=D(2025, 12, 31)),
    ContractedRate("b", "60054", "J3490", 95, effective_from=D(2026, 1, 1)),
    ContractedRate("c", "60054", "J3490", 80, modifier="JZ"),
    ContractedRate("d", "87726", "J3490", 70),
]


@pytest.mark.parametrize("payer, modifiers, day, expected", [
    ("60054", (), D(2025, 6, 1), 90), ("60054", (), D(2026, 6, 1), 95),
    ("60054", ("JZ",), D(2026, 6, 1), 80), ("60054", ("59", "JZ"), D(2026, 6, 1), 80),
    ("60054", ("59",), D(2026, 6, 1), 95), ("87726", (), D(2026, 6, 1), 70),
    ("99999", (), D(2026, 6, 1), 0),
])
def test_a_line_takes_the_rate_of_its_payer_modifier_and_date(payer, modifiers, day, expected):
    assert allowed_per_unit(RATES, payer, modifiers, day) == expected


@pytest.mark.parametrize("start, end, overlaps", [
    (D(2027, 1, 1), None, True), (None, D(2025, 1, 1), True), (D(2025, 6, 1), D(2025, 12, 31), True),
])
def test_periods_of_one_payer_code_and_modifier_may_not_overlap(start, end, overlaps):
    rate = ContractedRate("new", "60054", "J3490", 99, effective_from=start, effective_to=end)
    with pytest.raises(ClinicError) as refused:
        ensure_no_overlap(rate, RATES)
    assert refused.value.reason == "RATE_PERIOD_OVERLAPS"


def test_adjacent_periods_and_other_modifiers_do_not_overlap():
    ensure_no_overlap(ContractedRate("new", "60054", "J3490", 99, modifier="JW"), RATES)
    old = [ContractedRate("x", "60054", "90868", 1, effective_to=D(2025, 12, 31))]
    ensure_no_overlap(ContractedRate("y", "60054", "90868", 2, effective_from=D(2026, 1, 1)), old)


@pytest.mark.parametrize("fields", [
    {"allowed_cents": -1}, {"modifier": "J"}, {"modifier": "jz!"},
    {"effective_from": D(2026, 2, 1), "effective_to": D(2026, 1, 1)},
])
def test_a_malformed_rate_is_refused(fields):
    values = {"allowed_cents": 1, **fields}
    with pytest.raises(FieldViolation):
        ContractedRate("r", "60054", "90868", **values)
