"""What the charges table itself guarantees, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from clinic_billing.domain.charge import Charge
from clinic_billing.domain.model import ChargeSource, LineItem, Responsibility
from clinic_billing.domain.pricing import Price
from sqlalchemy.exc import IntegrityError


def _line_charge(appointment_id, line_number):
    return Charge.post(patient_id="p1", item=LineItem("99213"),
                       price=Price(Responsibility.PATIENT, 12500), source=ChargeSource.VISIT,
                       service_date=dt.date(2026, 3, 10), appointment_id=appointment_id,
                       line_number=line_number, now=dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC))


def test_a_visit_line_cannot_be_stored_twice_even_past_the_service(billing):
    with billing.runtime.uow() as uow:
        uow.charges.add(_line_charge("a1", 1))
        uow.commit()
    with billing.runtime.uow() as uow:
        uow.charges.add(_line_charge("a1", 1))
        with pytest.raises(IntegrityError):
            uow.commit()


def test_charges_without_a_visit_line_do_not_collide(billing):
    with billing.runtime.uow() as uow:
        uow.charges.add(_line_charge("a1", None))
        uow.charges.add(_line_charge("a1", None))
        uow.charges.add(_line_charge(None, None))
        uow.commit()
    with billing.runtime.uow() as uow:
        assert len(uow.charges.for_appointment("a1", {ChargeSource.VISIT})) == 2
