"""Building a draft claim from charges: one coverage, one date of service, insurance's only."""

import dataclasses
import datetime as dt

import pytest
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, ClaimState
from clinic_billing.domain.model import ChargeSource, ChargeState, Responsibility
from clinic_common.errors import ClinicError

NOW = dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 10)


def charge(charge_id, *, cents=30000, allowed=21000, coverage="cov-1", day=DAY,
           who=Responsibility.INSURANCE, state=ChargeState.POSTED):
    return Charge(patient_id="p1", source=ChargeSource.VISIT, procedure_code="90868", units=1,
                  service_date=day, responsibility=who, amount_cents=cents,
                  allowed_cents=allowed, payer_id="60054", coverage_id=coverage, state=state,
                  posted_at=NOW, charge_id=charge_id)


def test_a_claim_totals_its_charges_and_starts_as_a_draft():
    claim = Claim.build("p1", [charge("c1"), charge("c2", cents=5000, allowed=4000)],
                        actor="biller-1", now=NOW)
    assert (claim.state, claim.charge_ids, claim.total_charge_cents, claim.total_allowed_cents,
            claim.payer_id, claim.service_date, claim.updated_by) == \
        (ClaimState.DRAFT, ["c1", "c2"], 35000, 25000, "60054", DAY, "biller-1")


@pytest.mark.parametrize("charges, expected", [
    ([], "INVALID_FIELD"),
    ([charge("c1", state=ChargeState.VOIDED)], "CHARGE_NOT_CLAIMABLE"),
    ([charge("c1", who=Responsibility.PATIENT)], "CHARGE_NOT_CLAIMABLE"),
    ([charge("c1"), charge("c2", coverage="cov-2")], "CHARGES_NOT_ON_ONE_CLAIM"),
    ([charge("c1"), charge("c2", day=DAY - dt.timedelta(days=1))], "CHARGES_NOT_ON_ONE_CLAIM"),
    ([dataclasses.replace(charge("c1"), charge_id=f"c{n}") for n in range(51)], "INVALID_FIELD"),
])
def test_charges_that_cannot_go_on_one_claim_are_refused(charges, expected):
    with pytest.raises(ClinicError) as refused:
        Claim.build("p1", charges, actor="biller-1", now=NOW)
    assert refused.value.reason == expected


def _subscriber():
    from clinic_billing.domain.claim import Subscriber
    return Subscriber("Doe", "Jane", dt.date(1980, 1, 2), "F", "1 Main St", "Carlsbad", "CA",
                      "92008-1234").checked(DAY)


def test_a_draft_goes_ready_then_submitted_and_only_an_unsent_claim_is_voided():
    claim = Claim.build("p1", [charge("c1")], actor="biller-1", now=NOW)
    claim.mark_ready(_subscriber(), [], actor="biller-2", now=NOW)
    assert (claim.state, claim.updated_by, claim.subscriber["postal_code"]) == \
        (ClaimState.READY, "biller-2", "920081234")
    claim.submit("b1", actor="biller-3", now=NOW)
    assert (claim.state, claim.batch_id) == (ClaimState.SUBMITTED, "b1")
    with pytest.raises(ClinicError) as refused:
        claim.void("late", actor="biller-3", now=NOW)
    assert refused.value.reason == "CLAIM_STATE_CONFLICT"


def test_readiness_names_every_problem_and_a_problem_keeps_the_draft():
    from clinic_billing.domain.claim import readiness_problems
    bare = dataclasses.replace(charge("c1"), diagnosis_codes=[], rendering_provider_id="dr-x")
    claim = Claim.build("p1", [bare], actor="b", now=NOW)
    found = readiness_problems(claim, [bare], coverage_active=False, payer_known=True,
                               provider_complete=False, rendering_npi={})
    assert [p.problem for p in found] == ["BILLING_PROVIDER_INCOMPLETE", "COVERAGE_NOT_ACTIVE",
                                          "DIAGNOSIS_MISSING", "RENDERING_NPI_MISSING"]
    with pytest.raises(ClinicError) as refused:
        claim.mark_ready(_subscriber(), found, actor="b", now=NOW)
    assert (refused.value.reason, claim.state) == ("CLAIM_NOT_READY", ClaimState.DRAFT)


@pytest.mark.parametrize("units, quantity, problems", [
    (0, "", ["DRUG_DOSE_MISSING"]), (35, "", ["DRUG_DOSE_MISSING"]),
    (0, "0.7", ["DRUG_DOSE_MISSING"]), (35, "0.7", []),
])
def test_a_drug_line_without_its_dose_keeps_the_claim_a_draft(units, quantity, problems):
    from clinic_billing.domain.claim import readiness_problems
    drug = dataclasses.replace(charge("c1"), procedure_code="J3490", units=units,
                               diagnosis_codes=["F33.2"], rendering_provider_id="dr-1",
                               ndc="42023-0113-10", ndc_unit="ML", ndc_quantity=quantity)
    claim = Claim.build("p1", [drug], actor="b", now=NOW)
    found = readiness_problems(claim, [drug], coverage_active=True, payer_known=True,
                               provider_complete=True,
                               rendering_npi={drug.rendering_provider_id: "1234567893"})
    assert [(p.problem, p.charge_id) for p in found] == [(p, "c1") for p in problems]
