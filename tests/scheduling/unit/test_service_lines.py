"""Billable lines of a completed visit, from the appointment type's data and the dose."""

from clinic_scheduling.domain.appointment_type import (
    AppointmentType,
    BillableLine,
    ServiceLineValue,
    dose_in_mg,
)

IV = AppointmentType(code="IV_KETAMINE_INFUSION", display_name="IV", duration_minutes=90,
                     lines=[BillableLine(2, "J3490", units=0, units_from_dose=True),
                            BillableLine(1, "96365")])
SPRAVATO = AppointmentType(code="SPRAVATO_SESSION", display_name="Spravato",
                           duration_minutes=135,
                           lines=[BillableLine(1, "G2082", dose_at_most_mg=56),
                                  BillableLine(2, "G2083", dose_above_mg=56)])


def test_ketamine_units_are_the_dose_in_whole_milligrams():
    assert IV.service_lines(35_500) == [ServiceLineValue("96365", 1),
                                        ServiceLineValue("J3490", 36)]
    assert dose_in_mg(35_499) == 35


def test_an_unknown_ketamine_dose_bills_zero_units():
    assert IV.service_lines(0) == [ServiceLineValue("96365", 1), ServiceLineValue("J3490", 0)]


def test_esketamine_observation_code_follows_the_dose_band():
    assert SPRAVATO.service_lines(56_000) == [ServiceLineValue("G2082", 1)]
    assert SPRAVATO.service_lines(84_000) == [ServiceLineValue("G2083", 1)]
    assert SPRAVATO.service_lines(0) == [ServiceLineValue("G2082", 1)]


def test_a_type_without_lines_bills_nothing():
    free = AppointmentType(code="FREE_CONSULTATION", display_name="Free", duration_minutes=30)
    assert free.service_lines(0) == []
