"""`clinic claims create --appointment`: a visit's standing charges to insurance become one
draft claim, found by the command (the walkthrough's way to a claim), against a stand-in."""

import json

from clinic_common.identity import Role

from tests.client.test_jobs import clinic, stand_in  # noqa: F401 - the stand-in server

B = "clinic.billing.v1"


def _charges(request):
    return {"charges": [
        {"name": "accounts/p1/charges/c1", "appointment_id": "a1",
         "responsibility": "RESPONSIBILITY_INSURANCE", "state": "CHARGE_STATE_POSTED"},
        {"name": "accounts/p1/charges/c2", "appointment_id": "a1",
         "responsibility": "RESPONSIBILITY_PATIENT", "state": "CHARGE_STATE_POSTED"},
        {"name": "accounts/p1/charges/c3", "appointment_id": "a1",
         "responsibility": "RESPONSIBILITY_INSURANCE", "state": "CHARGE_STATE_VOIDED"},
    ] if request.appointment_id == "a1" else []}


def test_a_visits_insurance_charges_become_one_claim(stand_in):  # noqa: F811
    fake = stand_in({
        f"{B}.ChargeService/ListCharges": _charges,
        f"{B}.ClaimService/CreateClaim": lambda r: {"claim": {
            "name": f"{r.parent}/claims/k1", "charges": list(r.charges)}}})
    made = clinic(fake.address, "-q", "claims", "create", "p1", "--appointment",
                  "locations/la-jolla/appointments/a1", roles=(Role.BILLING,))
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == "accounts/p1/claims/k1"
    (listed,) = fake.of("ListCharges")
    assert (listed.parent, listed.appointment_id) == ("accounts/p1", "a1")
    (created,) = fake.of("CreateClaim")
    assert list(created.charges) == ["accounts/p1/charges/c1"] and created.request_id


def test_a_self_pay_visit_has_nothing_to_claim_and_exits_5_without_asking(stand_in):  # noqa: F811
    fake = stand_in({f"{B}.ChargeService/ListCharges": _charges,
                     f"{B}.ClaimService/CreateClaim": lambda r: {}})
    none = clinic(fake.address, "claims", "create", "p1", "--appointment", "a2",
                  roles=(Role.BILLING,))
    assert none.exit_code == 5 and "no standing charges to insurance" in none.stderr
    assert fake.of("CreateClaim") == []
    # Charges or an appointment: one of the two, else a usage error.
    assert clinic(fake.address, "claims", "create", "p1").exit_code == 2
    assert clinic(fake.address, "claims", "create", "p1", "--charge", "c1", "--appointment",
                  "a1").exit_code == 2
    assert fake.of("CreateClaim") == []


def test_charges_list_takes_the_appointment_by_name_too(stand_in):  # noqa: F811
    fake = stand_in({f"{B}.ChargeService/ListCharges": _charges})
    listed = clinic(fake.address, "--json", "charges", "list", "p1", "--appointment",
                    "locations/-/appointments/a1", roles=(Role.BILLING,))
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 3
    assert fake.of("ListCharges")[0].appointment_id == "a1"
