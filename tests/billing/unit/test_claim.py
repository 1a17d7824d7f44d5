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
