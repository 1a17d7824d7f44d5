"""Accounts and coverages kept from intake's events, on SQLite and PostgreSQL."""

import datetime as dt

from clinic.billing.v1 import account_pb2
from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import events_pb2 as billing_events
from clinic.intake.v1 import events_pb2 as intake

from tests.billing.support import completed, date, events_of, row_counts

DAY = dt.date(2026, 3, 10)


def _account(billing, patient_id):
    return billing.accounts.GetAccount(account_pb.GetAccountRequest(name=f"accounts/{patient_id}")).account


def _merge(merged, survivor):
    return intake.PatientMerged(merged_patient_id=merged, surviving_patient_id=survivor)


def test_a_registered_patient_has_an_empty_active_account(billing):
    billing.register("p1")
    account = _account(billing, "p1")
    assert (account.name, account.state, account.registered) == \
        ("accounts/p1", account_pb2.ACCOUNT_STATE_ACTIVE, True)
    assert (account.patient_balance_cents, account.insurance_balance_cents) == (0, 0)


def test_registration_announced_twice_keeps_one_account(billing):
    billing.register("p1")
    billing.register("p1")
    assert row_counts(billing.runtime)["accounts"] == 1


def test_coverages_are_listed_primary_first_with_their_dates(billing):
    billing.cover("p1", "cov-b", "SECONDARY", priority=2)
    billing.cover("p1", "cov-a", "60054", priority=1, end=dt.date(2026, 12, 31))
    coverages = _account(billing, "p1").coverages
    assert [(c.coverage_id, c.priority) for c in coverages] == [("cov-a", 1), ("cov-b", 2)]
    assert (coverages[0].end_date.year, coverages[0].end_date.month) == (2026, 12)
    assert not coverages[1].HasField("end_date")


def test_an_end_heard_before_its_coverage_is_kept_when_the_coverage_arrives(billing):
    billing.deliver(intake.CoverageEnded(patient_id="p1", coverage_id="cov-1",
                                         end_date=date(DAY - dt.timedelta(days=1))))
    assert list(_account(billing, "p1").coverages) == []
    billing.cover("p1", "cov-1", "60054")
    [coverage] = _account(billing, "p1").coverages
    assert (coverage.end_date.month, coverage.end_date.day) == (3, 9)
    billing.deliver(completed("a1", "p1", DAY, ("90868", 1)))
    [charge] = billing.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/-")).charges
    assert charge.payer_id == ""


def test_merge_moves_the_ledger_and_coverages_to_the_survivor(billing):
    billing.cover("dup", "cov-1", "60054")
    billing.deliver(completed("a1", "dup", DAY, ("96365", 1)))
    billing.deliver(completed("a2", "keep", DAY, ("99213", 1)))
    assert billing.deliver(_merge("dup", "keep")) == "handled"
    merged, survivor = _account(billing, "dup"), _account(billing, "keep")
    assert (merged.state, merged.merged_into) == (account_pb2.ACCOUNT_STATE_MERGED, "accounts/keep")
    assert merged.patient_balance_cents == 0 and list(merged.coverages) == []
    assert survivor.patient_balance_cents == 45000 + 12500
    assert [c.coverage_id for c in survivor.coverages] == ["cov-1"]
    charges = billing.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/keep")).charges
    assert sorted(c.appointment_id for c in charges) == ["a1", "a2"]
    balances = {e.patient_id: e.patient_balance_cents
                for e in events_of(billing.runtime, billing_events.AccountBalanceChanged)[-2:]}
    assert balances == {"dup": 0, "keep": 57500}


def test_after_a_merge_events_for_the_merged_patient_post_to_the_survivor(billing):
    billing.deliver(_merge("dup", "keep"))
    billing.deliver(completed("a1", "dup", DAY, ("99213", 1)))
    assert _account(billing, "keep").patient_balance_cents == 12500
    assert _account(billing, "dup").patient_balance_cents == 0


def test_a_merge_announced_again_changes_nothing(billing):
    billing.deliver(completed("a1", "dup", DAY, ("99213", 1)))
    billing.deliver(_merge("dup", "keep"))
    before = row_counts(billing.runtime)
    assert billing.deliver(_merge("dup", "keep")) == "handled"
    assert row_counts(billing.runtime) == before


def test_merging_into_a_patient_merged_since_reaches_the_final_survivor(billing):
    billing.deliver(completed("a1", "first", DAY, ("99213", 1)))
    billing.deliver(_merge("first", "second"))
    billing.deliver(_merge("second", "third"))
    assert _account(billing, "first").merged_into == "accounts/third"
    assert _account(billing, "third").patient_balance_cents == 12500


def test_a_merge_of_a_patient_into_itself_is_dead_lettered(billing):
    assert billing.deliver(_merge("p1", "p1")) == "dead-lettered"
    [(_, _, _, headers)] = billing.dead_letters.records
    assert headers["dlq_error_class"] == "InvalidMerge"
    assert row_counts(billing.runtime)["accounts"] == 0


def test_a_batch_of_events_for_new_and_known_patients_applies_like_one_at_a_time(billing,
                                                                                caplog):
    """The consumer applies a polled batch in one transaction, with the batch's accounts
    locked in one query: a patient registered earlier in the same batch is found by the
    events after it, a known one too, and a merge inside the batch lands on the survivor."""
    from tests.billing.support import record

    billing.register("known")
    batch = [intake.PatientRegistered(patient_id="new-1"),
             intake.CoverageAdded(patient_id="new-1", coverage_id="cov-n", payer_id="60054",
                                  member_id="M-1", priority=1, effective_date=date(DAY),
                                  plan_type="PPO"),
             completed("a1", "new-1", DAY, ("96365", 1)),
             completed("a2", "known", DAY, ("96365", 1)),
             intake.PatientRegistered(patient_id="new-2"),
             _merge("new-2", "known"),
             completed("a3", "new-2", DAY, ("96365", 1))]
    records = [record(message, offset=n) for n, message in enumerate(batch)]
    with caplog.at_level("INFO", logger="clinic_common.consumer"):
        assert billing.processor.process_batch(records) == ["handled"] * len(batch)
    assert "one record at a time" not in caplog.text  # applied as one batch
    assert billing.processor.process_batch(records) == ["duplicate"] * len(batch)
    assert [c.coverage_id for c in _account(billing, "new-1").coverages] == ["cov-n"]
    charges = billing.charges.ListCharges(charge_pb.ListChargesRequest(parent="accounts/-")).charges
    assert sorted((c.appointment_id, c.patient_id) for c in charges) == [
        ("a1", "new-1"), ("a2", "known"), ("a3", "known")]
    assert row_counts(billing.runtime)["accounts"] == 3
