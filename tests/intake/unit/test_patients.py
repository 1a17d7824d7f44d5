"""Patient rules: what registration requires, changes by field, look-alikes and merges."""

import datetime as dt

import pytest
from clinic_common.errors import FailedPrecondition, FieldViolation, InvalidArgument
from clinic_intake.domain import duplicates
from clinic_intake.domain.common import Contact, PostalAddress
from clinic_intake.domain.model import Patient, PatientState

NOW = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)


def _patient(**details) -> Patient:
    fields = {"given_name": "Ana", "family_name": "Reyes",
              "date_of_birth": dt.date(1984, 5, 17), **details}
    return Patient.register(now=NOW, **fields)


@pytest.mark.parametrize(("details", "field"), [
    ({"given_name": "  "}, "patient.given_name"),
    ({"date_of_birth": None}, "patient.date_of_birth"),
    ({"date_of_birth": dt.date(2026, 3, 2)}, "patient.date_of_birth"),
    ({"date_of_birth": dt.date(1890, 1, 1)}, "patient.date_of_birth"),
    ({"phone": "619-555-0101"}, "patient.phone"),
    ({"email": "ana.example.com"}, "patient.email"),
    ({"sex_at_birth": "OTHER"}, "patient.sex_at_birth"),
    ({"escort": Contact(name="Luis", relationship="son")}, "patient.escort.phone"),
    ({"emergency_contact": Contact(name="Luis", phone="+16195550100")},
     "patient.emergency_contact.relationship"),
    ({"address": PostalAddress(line1="1 Main", city="Vista", state="CA", postal_code="9208")},
     "patient.address.postal_code"),
])
def test_registration_refuses_malformed_details(details, field):
    with pytest.raises(FieldViolation) as refused:
        _patient(**details)
    assert refused.value.field == field


def test_registration_normalises_names_and_state_code():
    patient = _patient(given_name=" Ana ", address=PostalAddress(
        line1="1 Main", city="Vista", state="ca", postal_code="92081-1234"))
    assert patient.given_name == "Ana"
    assert patient.address.state == "CA"
    assert (patient.revision, patient.created_at) == (1, NOW)


def test_update_reports_changed_fields_and_counts_a_revision():
    patient = _patient(phone="+16195550101")
    changed = patient.update({"phone": "+16195550101", "email": "a@b.co"}, now=NOW)
    assert changed == ["email"]
    assert patient.revision == 2


def test_update_without_a_change_keeps_the_revision():
    patient = _patient(email="a@b.co")
    assert patient.update({"email": "a@b.co"}, now=NOW) == []
    assert patient.revision == 1


def test_update_of_a_field_that_cannot_change_is_refused():
    with pytest.raises(FieldViolation) as refused:
        _patient().update({"patient_id": "x"}, now=NOW)
    assert refused.value.field == "update_mask"


def test_merged_patient_reads_but_does_not_change():
    survivor, duplicate = _patient(), _patient()
    duplicate.merge_into(survivor, now=NOW)
    assert (duplicate.state, duplicate.merged_into_patient_id) == \
        (PatientState.MERGED, survivor.patient_id)
    with pytest.raises(FailedPrecondition):
        duplicate.update({"email": "a@b.co"}, now=NOW)


def test_patient_cannot_merge_into_itself():
    patient = _patient()
    with pytest.raises(InvalidArgument):
        patient.merge_into(patient, now=NOW)


def test_likeness_by_name_and_birth_date_ignores_case():
    assert duplicates.likeness(_patient(), _patient(family_name="REYES")) == \
        duplicates.DuplicateReason.SAME_NAME_AND_BIRTH_DATE


def test_likeness_by_phone_and_none_otherwise():
    a = _patient(phone="+16195550101")
    assert duplicates.likeness(a, _patient(given_name="Bea", phone="+16195550101")) == \
        duplicates.DuplicateReason.SAME_PHONE
    assert duplicates.likeness(a, _patient(given_name="Bea")) is None
    assert duplicates.likeness(a, a) is None


def test_a_resolved_duplicate_flag_cannot_be_resolved_again():
    flag = duplicates.DuplicateSuspicion.flag("a", "b", duplicates.DuplicateReason.SAME_PHONE,
                                              NOW)
    flag.resolve(duplicates.SuspicionState.DISTINCT, "dr-lee", NOW)
    with pytest.raises(FailedPrecondition):
        flag.resolve(duplicates.SuspicionState.MERGED, "dr-lee", NOW)
