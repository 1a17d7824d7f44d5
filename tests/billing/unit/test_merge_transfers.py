"""A merge's transfer entries: the merged account's open amounts off it and onto the
survivor, a pair per charge (claim, or none) and responsibility, naming the merge and
each other."""

import datetime as dt

import pytest
from clinic_billing.domain import errors
from clinic_billing.domain.model import Balance, EntryKind, OpenAmount, merge_transfers

NOW = dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC)
OPEN = [OpenAmount("ch-1", None, 2000, 30000), OpenAmount("ch-1", "cl-1", 0, -8000),
        OpenAmount(None, None, -500, 0)]


def test_each_open_amount_moves_by_a_pair_per_responsibility():
    entries = merge_transfers("dup", "keep", "evt-9", OPEN, NOW)
    assert {e.kind for e in entries} == {EntryKind.MERGE_TRANSFER}
    rows = [(e.patient_id, e.counterpart_patient_id, e.charge_id, e.claim_id, e.patient_cents,
             e.insurance_cents) for e in entries]
    assert rows == [
        ("dup", "keep", "ch-1", None, -2000, 0), ("keep", "dup", "ch-1", None, 2000, 0),
        ("dup", "keep", "ch-1", None, 0, -30000), ("keep", "dup", "ch-1", None, 0, 30000),
        ("dup", "keep", "ch-1", "cl-1", 0, 8000), ("keep", "dup", "ch-1", "cl-1", 0, -8000),
        ("dup", "keep", None, None, 500, 0), ("keep", "dup", None, None, -500, 0)]
    assert {(e.reason, e.posted_at) for e in entries} == {("evt-9", NOW)}


def test_the_merged_account_ends_at_zero_and_the_survivor_takes_its_balance():
    entries = merge_transfers("dup", "keep", "evt-9", OPEN, NOW)
    merged = Balance.of([e for e in entries if e.patient_id == "dup"])
    survivor = Balance.of([e for e in entries if e.patient_id == "keep"])
    assert merged == Balance(-1500, -22000)  # what it held, taken off
    assert survivor == Balance(1500, 22000)
    assert sum(e.patient_cents + e.insurance_cents for e in entries) == 0


def test_nothing_open_moves_nothing_and_a_merge_into_itself_is_refused():
    assert merge_transfers("dup", "keep", "evt-9", [OpenAmount("ch-1", None, 0, 0)], NOW) == []
    with pytest.raises(errors.InvalidMerge):
        merge_transfers("dup", "dup", "evt-9", OPEN, NOW)
