"""Registration details, updates by field mask, search, duplicates and merges over gRPC."""

import datetime as dt

import grpc
from clinic.intake.v1 import intake_service_pb2 as pb
from clinic.intake.v1 import patient_pb2
from google.protobuf import field_mask_pb2

from tests.intake.support import (
    FRONT_DESK,
    NO_TOKEN,
    STAFF,
    event_types,
    outbox,
    patient,
    reason,
    refused,
)

ESCORT = patient_pb2.Contact(name="Luis Reyes", phone="+16195550177", relationship="spouse")
ADDRESS = patient_pb2.PostalAddress(line1="100 Ocean St", city="Carlsbad", state="ca",
                                    postal_code="92008")


def _register(api, **fields):
    return api.patients.CreatePatient(pb.CreatePatientRequest(patient=patient(**fields)),
                                      metadata=FRONT_DESK).patient


def _update(api, name, mask, metadata=STAFF, request_id="", **fields):
    changes = patient(**fields)
    changes.name = name
    return api.patients.UpdatePatient(pb.UpdatePatientRequest(
        patient=changes, update_mask=field_mask_pb2.FieldMask(paths=mask),
        request_id=request_id), metadata=metadata).patient


def test_registration_keeps_demographics_contacts_and_escort(api):
    created = _register(api, sex_at_birth=patient_pb2.SEX_AT_BIRTH_FEMALE,
                        gender_identity="woman", address=ADDRESS, escort=ESCORT,
                        emergency_contact=ESCORT, preferred_location_id="carlsbad")
    fetched = api.patients.GetPatient(pb.GetPatientRequest(name=created.name)).patient
    assert fetched == created
    assert fetched.address.state == "CA"
    assert fetched.escort.phone == "+16195550177"
    assert fetched.state == patient_pb2.PATIENT_STATE_ACTIVE
    assert fetched.revision == 1


def test_escort_without_phone_is_invalid_and_stores_nothing(api):
    error = refused(_register, api, escort=patient_pb2.Contact(name="Luis", relationship="son"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "escort.phone" in error.details()
    assert api.patients.ListPatients(pb.ListPatientsRequest()).patients == []
    assert event_types(api.runtime) == []


def test_address_outside_the_us_states_is_invalid(api):
    bad = patient_pb2.PostalAddress(line1="1 Rue", city="Paris", state="FR", postal_code="75001")
    error = refused(_register, api, address=bad)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "address.state" in error.details()


def test_update_changes_only_masked_fields_and_keeps_the_earlier_revision(api):
    created = _register(api, email="ana@example.com")
    updated = _update(api, created.name, ["phone", "escort"], phone="+16195550199",
                      escort=ESCORT, email="ignored@example.com")
    assert (updated.phone, updated.escort.name, updated.email) == \
        ("+16195550199", "Luis Reyes", "ana@example.com")
    assert updated.revision == 2
    revisions = api.patients.ListRecordRevisions(
        pb.ListRecordRevisionsRequest(record=created.name)).revisions
    assert [r.revision for r in revisions] == [1, 2]
    assert revisions[0].snapshot["phone"] == "+16195550101"
    assert revisions[1].snapshot["phone"] == "+16195550199"
    assert (revisions[0].changed_by, revisions[1].changed_by) == ("desk-1", "dr-lee")
    assert list(revisions[1].changed_fields) == ["escort", "phone"]
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key, list(event.changed_fields)) == \
        ("PatientUpdated", created.patient_id, ["escort", "phone"])


def test_update_without_staff_id_is_refused_and_changes_nothing(api):
    created = _register(api)
    error = refused(_update, api, created.name, ["phone"], metadata=NO_TOKEN, phone="+16195550199")
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert reason(error) == "UNAUTHENTICATED"
    assert api.patients.GetPatient(pb.GetPatientRequest(name=created.name)).patient == created


def test_update_of_unknown_or_missing_mask_is_invalid(api):
    created = _register(api)
    for mask in (["state"], ["address.city"], []):
        error = refused(_update, api, created.name, mask)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, mask
        assert "update_mask" in error.details()


def test_invalid_new_value_changes_nothing(api):
    created = _register(api)
    error = refused(_update, api, created.name, ["phone", "email"], phone="+16195550199",
                    email="not-an-email")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert api.patients.GetPatient(pb.GetPatientRequest(name=created.name)).patient == created
    assert event_types(api.runtime) == ["PatientRegistered"]


def test_update_retried_with_same_request_id_changes_once(api):
    created = _register(api)
    for _ in range(2):
        updated = _update(api, created.name, ["email"], request_id="u-1", email="a@b.co")
    assert updated.revision == 2
    assert event_types(api.runtime) == ["PatientRegistered", "PatientUpdated"]


def test_search_by_name_prefix_phone_and_birth_date_pages_through_matches(api):
    for family, phone in [("Reyes", "+16195550101"), ("reynolds", "+16195550102"),
                          ("Rey", "+16195550103"), ("Smith", "+16195550104")]:
        _register(api, family_name=family, phone=phone)
    seen, token = [], ""
    while True:
        page = api.patients.ListPatients(pb.ListPatientsRequest(
            name_prefix="REY", page_size=2, page_token=token))
        seen += [p.family_name for p in page.patients]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == ["Rey", "Reyes", "reynolds"]
    by_phone = api.patients.ListPatients(pb.ListPatientsRequest(phone="+16195550104")).patients
    assert [p.family_name for p in by_phone] == ["Smith"]
    assert api.patients.ListPatients(pb.ListPatientsRequest(
        name_prefix="smi", date_of_birth=patient(date_of_birth=dt.date(1990, 1, 1))
        .date_of_birth)).patients == []


def test_name_prefix_with_wildcards_matches_literally(api):
    _register(api, family_name="Reyes")
    assert api.patients.ListPatients(pb.ListPatientsRequest(name_prefix="%")).patients == []


def test_same_name_and_birth_date_is_flagged_on_both_records(api):
    first = _register(api, phone="+16195550111")
    second = _register(api, phone="+16195550122")
    assert [(d.patient, d.reason) for d in second.suspected_duplicates] == \
        [(first.name, patient_pb2.DUPLICATE_REASON_SAME_NAME_AND_BIRTH_DATE)]
    again = api.patients.GetPatient(pb.GetPatientRequest(name=first.name)).patient
    assert [d.patient for d in again.suspected_duplicates] == [second.name]


def test_same_phone_is_flagged_as_a_likely_duplicate(api):
    _register(api, given_name="Ana", phone="+16195550111")
    second = _register(api, given_name="Bea", phone="+16195550111")
    assert [d.reason for d in second.suspected_duplicates] == \
        [patient_pb2.DUPLICATE_REASON_SAME_PHONE]


def test_confirmed_distinct_patients_are_no_longer_flagged(api):
    first = _register(api, phone="+16195550111")
    second = _register(api, phone="+16195550122")
    cleared = api.patients.ConfirmDistinctPatients(pb.ConfirmDistinctPatientsRequest(
        patient=second.name, other_patient=first.name), metadata=STAFF).patient
    assert list(cleared.suspected_duplicates) == []
    again = api.patients.GetPatient(pb.GetPatientRequest(name=first.name)).patient
    assert list(again.suspected_duplicates) == []


def test_confirming_distinct_patients_that_were_not_flagged_is_a_failed_precondition(api):
    first = _register(api, given_name="Ana", phone="+16195550111")
    second = _register(api, given_name="Bea", phone="+16195550122")
    error = refused(api.patients.ConfirmDistinctPatients, pb.ConfirmDistinctPatientsRequest(
        patient=second.name, other_patient=first.name), metadata=STAFF)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(error) == "NOT_FLAGGED_AS_DUPLICATES"


def test_merge_retires_the_duplicate_and_announces_it(api):
    first = _register(api, phone="+16195550111")
    second = _register(api, phone="+16195550122")
    merged = api.patients.MergePatients(pb.MergePatientsRequest(
        surviving_patient=first.name, merged_patient=second.name), metadata=STAFF)
    assert merged.merged_patient.state == patient_pb2.PATIENT_STATE_MERGED
    assert merged.merged_patient.merged_into == first.name
    assert list(merged.surviving_patient.suspected_duplicates) == []
    listed = api.patients.ListPatients(pb.ListPatientsRequest()).patients
    assert [p.name for p in listed] == [first.name]
    name, key, event = outbox(api.runtime)[-1]
    assert (name, key) == ("PatientMerged", second.patient_id)
    assert (event.surviving_patient_id, event.merged_patient_id) == \
        (first.patient_id, second.patient_id)


def test_merged_patient_cannot_be_changed_or_merged_again(api):
    first = _register(api, given_name="Ana", phone="+16195550111")
    second = _register(api, given_name="Bea", phone="+16195550122")
    api.patients.MergePatients(pb.MergePatientsRequest(
        surviving_patient=first.name, merged_patient=second.name), metadata=STAFF)
    error = refused(_update, api, second.name, ["email"], email="x@y.co")
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "PATIENT_MERGED")
    error = refused(api.patients.MergePatients, pb.MergePatientsRequest(
        surviving_patient=second.name, merged_patient=first.name), metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                             "PATIENT_MERGED")


def test_merging_a_patient_into_itself_is_invalid(api):
    first = _register(api)
    error = refused(api.patients.MergePatients, pb.MergePatientsRequest(
        surviving_patient=first.name, merged_patient=first.name), metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "SAME_PATIENT")
    assert event_types(api.runtime) == ["PatientRegistered"]


def test_merge_of_unknown_patient_is_not_found(api):
    first = _register(api)
    error = refused(api.patients.MergePatients, pb.MergePatientsRequest(
        surviving_patient=first.name, merged_patient="patients/nobody"), metadata=STAFF)
    assert (error.code(), reason(error)) == (grpc.StatusCode.NOT_FOUND, "PATIENT_NOT_FOUND")


def test_revisions_of_unknown_patient_or_bad_record_name(api):
    error = refused(api.patients.ListRecordRevisions,
                    pb.ListRecordRevisionsRequest(record="patients/nobody"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = refused(api.patients.ListRecordRevisions,
                    pb.ListRecordRevisionsRequest(record="patients/x/unknown/y"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
