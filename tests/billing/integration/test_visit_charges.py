"""Charges from scheduling's events, fed through the event processor on SQLite and PostgreSQL."""

import datetime as dt

from clinic.billing.v1 import account_service_pb2 as account_pb
from clinic.billing.v1 import charge_pb2
from clinic.billing.v1 import charge_service_pb2 as charge_pb
from clinic.billing.v1 import events_pb2 as billing_events
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import events_pb2 as scheduling
from clinic_common.protoconv import timestamp

from tests.billing.support import completed, date, events_of, outbox_events, record, row_counts

DAY = dt.date(2026, 3, 10)


def _charges(billing, parent="accounts/-", **filters):
    return list(billing.charges.ListCharges(charge_pb.ListChargesRequest(parent=parent,
                                                                         **filters)).charges)


def _balance(billing, patient_id):
    account = billing.accounts.GetAccount(account_pb.GetAccountRequest(name=f"accounts/{patient_id}")).account
    return account.patient_balance_cents, account.insurance_balance_cents


def test_completed_ketamine_infusion_posts_one_self_pay_charge_per_line(billing):
    billing.register("p1")
    visit = completed("a1", "p1", DAY, ("96365", 1), ("J3490", 35))
    assert billing.deliver(visit) == "handled"
    charges = _charges(billing, appointment_id="a1")
    assert [(c.line_number, c.procedure_code, c.units, c.amount_cents) for c in charges] == \
        [(1, "96365", 1, 45000), (2, "J3490", 35, 3500)]
    assert {c.responsibility for c in charges} == {charge_pb2.RESPONSIBILITY_PATIENT}
    assert charges[0].diagnosis_codes == ["F33.2"]
    assert _balance(billing, "p1") == (48500, 0)
    posted = events_of(billing.runtime, billing_events.ChargePosted)
    assert [(e.procedure_code, e.amount_cents, e.appointment_id) for e in posted] == \
        [("96365", 45000, "a1"), ("J3490", 3500, "a1")]
    [changed] = events_of(billing.runtime, billing_events.AccountBalanceChanged)
    assert (changed.patient_id, changed.patient_balance_cents) == ("p1", 48500)
    assert {key for key, _ in outbox_events(billing.runtime)} == {"p1"}


def test_an_infusion_without_a_recorded_dose_posts_its_drug_line_at_no_charge(billing):
    billing.deliver(completed("a1", "p1", DAY, ("96365", 0), ("J3490", 0)))
    charges = _charges(billing, appointment_id="a1")
    assert [(c.procedure_code, c.units, c.amount_cents) for c in charges] == \
        [("96365", 1, 45000), ("J3490", 0, 0)]
    assert _balance(billing, "p1") == (45000, 0)


def test_the_same_completed_visit_delivered_twice_posts_its_charges_once(billing):
    visit = completed("a1", "p1", DAY, ("96365", 1), ("J3490", 35))
    assert billing.deliver(visit, event_id="ev-1") == "handled"
    before = row_counts(billing.runtime)
    assert billing.deliver(visit, event_id="ev-1") == "duplicate"
    assert row_counts(billing.runtime) == before
    assert len(_charges(billing)) == 2


def test_a_replay_of_a_completed_visit_under_a_new_event_id_changes_nothing(billing):
    visit = completed("a1", "p1", DAY, ("96365", 1), ("J3490", 35))
    assert billing.deliver(visit, event_id="ev-1") == "handled"
    before = row_counts(billing.runtime)
    assert billing.deliver(visit, event_id="ev-2") == "handled"
    after = row_counts(billing.runtime)
    assert {k: v for k, v in after.items() if k != "request_log"} == \
        {k: v for k, v in before.items() if k != "request_log"}
    assert _balance(billing, "p1") == (48500, 0)


def test_a_completed_visit_for_a_patient_not_yet_known_still_posts(billing):
    assert billing.deliver(completed("a1", "new-patient", DAY, ("99213", 1))) == "handled"
    account = billing.accounts.GetAccount(account_pb.GetAccountRequest(name="accounts/new-patient")).account
    assert not account.registered
    assert account.patient_balance_cents == 12500
    billing.register("new-patient")
    account = billing.accounts.GetAccount(account_pb.GetAccountRequest(name="accounts/new-patient")).account
    assert account.registered
    assert account.patient_balance_cents == 12500


def test_spravato_with_active_coverage_is_billed_to_the_primary_payer_at_list_price(billing):
    billing.register("p1")
    billing.cover("p1", "cov-2", "SECONDARY-PAYER", priority=2)
    billing.cover("p1", "cov-1", "60054", priority=1)
    billing.contract("G2083", "60054", 98000)
    # S0013 reported for a date of service after 2026-01-01 is billed as J0013.
    billing.deliver(completed("a1", "p1", DAY, ("G2083", 1), ("S0013", 84)))
    charges = _charges(billing, "accounts/p1")
    assert [(c.procedure_code, c.amount_cents, c.allowed_cents) for c in charges] == \
        [("G2083", 125000, 98000), ("J0013", 134400, 0)]
    assert {(c.responsibility, c.payer_id, c.coverage_id) for c in charges} == \
        {(charge_pb2.RESPONSIBILITY_INSURANCE, "60054", "cov-1")}
    assert _balance(billing, "p1") == (0, 259400)
    posted = events_of(billing.runtime, billing_events.ChargePosted)
    assert {(e.responsibility, e.payer_id, e.source, e.service_date.day, e.location_id)
            for e in posted} == {(charge_pb2.RESPONSIBILITY_INSURANCE, "60054",
                                  charge_pb2.CHARGE_SOURCE_VISIT, 10, "carlsbad")}


def test_ketamine_infusion_stays_self_pay_even_with_active_coverage(billing):
    billing.cover("p1", "cov-1", "60054")
    billing.deliver(completed("a1", "p1", DAY, ("96365", 1)))
    [charge] = _charges(billing)
    assert charge.responsibility == charge_pb2.RESPONSIBILITY_PATIENT
    assert charge.payer_id == ""


def test_tms_after_the_coverage_ended_is_self_pay(billing):
    billing.cover("p1", "cov-1", "60054")
    billing.deliver(intake.CoverageEnded(patient_id="p1", coverage_id="cov-1",
                                         end_date=date(DAY - dt.timedelta(days=1))))
    billing.deliver(completed("a1", "p1", DAY, ("90868", 1)))
    [charge] = _charges(billing)
    assert (charge.responsibility, charge.amount_cents) == (charge_pb2.RESPONSIBILITY_PATIENT, 25000)


def test_coverage_on_the_last_day_it_is_in_force_is_billed(billing):
    billing.cover("p1", "cov-1", "60054", end=DAY)
    billing.deliver(completed("a1", "p1", DAY, ("90868", 1)))
    [charge] = _charges(billing)
    assert charge.responsibility == charge_pb2.RESPONSIBILITY_INSURANCE


def test_no_show_posts_the_configured_fee_to_the_patient_once(start_billing):
    billing = start_billing(no_show_fee_cents=9900)
    event = scheduling.AppointmentNoShow(
        appointment_id="a1", patient_id="p1", location_id="carlsbad",
        start_time=timestamp(dt.datetime(2026, 3, 11, 6, 30, tzinfo=dt.UTC)))
    assert billing.deliver(event) == "handled"
    assert billing.deliver(event) == "handled"  # a replay under a new event id
    [charge] = _charges(billing)
    assert (charge.procedure_code, charge.amount_cents, charge.source) == \
        ("NO_SHOW_FEE", 9900, charge_pb2.CHARGE_SOURCE_NO_SHOW_FEE)
    assert (charge.service_date.month, charge.service_date.day) == (3, 10)  # Los Angeles date
    assert _balance(billing, "p1") == (9900, 0)


def test_late_cancellation_posts_the_late_cancel_fee_and_an_early_one_posts_nothing(billing):
    start = timestamp(dt.datetime(2026, 3, 11, 18, tzinfo=dt.UTC))
    billing.deliver(scheduling.AppointmentCancelled(appointment_id="early", patient_id="p1",
                                                    late=False, start_time=start))
    billing.deliver(scheduling.AppointmentCancelled(appointment_id="late", patient_id="p1",
                                                    late=True, start_time=start))
    [charge] = _charges(billing)
    assert (charge.appointment_id, charge.procedure_code, charge.amount_cents) == \
        ("late", "LATE_CANCEL_FEE", 5000)


def test_a_policy_fee_set_to_zero_is_not_charged(start_billing):
    billing = start_billing(no_show_fee_cents=0)
    billing.deliver(scheduling.AppointmentNoShow(
        appointment_id="a1", patient_id="p1",
        start_time=timestamp(dt.datetime(2026, 3, 11, 18, tzinfo=dt.UTC))))
    assert _charges(billing) == []


def test_a_malformed_payload_is_dead_lettered_and_changes_nothing(billing):
    before = row_counts(billing.runtime)
    bad = record(completed("a1", "p1", DAY, ("96365", 1)), value=b"\xff\xff\xff", offset=4)
    assert billing.processor.process(bad) == "dead-lettered"
    [(topic, key, value, headers)] = billing.dead_letters.records
    assert topic == "clinic.scheduling.v1.dlq"
    assert (key, value) == ("p1", b"\xff\xff\xff")
    assert "payload is not a valid clinic.scheduling.v1.AppointmentCompleted" in headers["dlq_error"]
    assert headers["dlq_source_offset"] == "4"
    assert row_counts(billing.runtime) == before


def test_a_visit_with_a_code_missing_from_the_fee_schedule_is_dead_lettered_whole(billing):
    before = row_counts(billing.runtime)
    visit = completed("a1", "p1", DAY, ("96365", 1), ("99999", 1))
    assert billing.deliver(visit) == "dead-lettered"
    [(_, _, _, headers)] = billing.dead_letters.records
    assert headers["dlq_error_class"] == "ProcedureNotInFeeSchedule"
    assert "'99999'" in headers["dlq_error"]
    assert row_counts(billing.runtime) == before


def test_a_visit_without_a_patient_is_dead_lettered(billing):
    assert billing.deliver(completed("a1", "", DAY, ("96365", 1))) == "dead-lettered"
    [(_, _, _, headers)] = billing.dead_letters.records
    assert "patient_id" in headers["dlq_error"]


def test_events_billing_does_not_act_on_are_ignored(billing):
    checked_in = scheduling.AppointmentCheckedIn(appointment_id="a1", patient_id="p1")
    assert billing.deliver(checked_in) == "ignored"
    assert row_counts(billing.runtime)["accounts"] == 0

