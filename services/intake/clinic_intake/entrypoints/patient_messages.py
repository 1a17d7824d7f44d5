"""Patients between protobuf messages and the domain."""

from __future__ import annotations

from clinic.intake.v1 import patient_pb2
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import EnumMap, fill_date, timestamp, to_date

from clinic_intake.domain.common import Contact, PostalAddress
from clinic_intake.entrypoints.screening_messages import flag_out
from clinic_intake.service_layer.patients import PatientView

PATIENTS = "patients/"


def _contact(message: patient_pb2.Contact) -> Contact:
    return Contact(name=message.name, phone=message.phone, relationship=message.relationship)


def _address(message: patient_pb2.PostalAddress) -> PostalAddress:
    return PostalAddress(line1=message.line1, line2=message.line2, city=message.city,
                         state=message.state, postal_code=message.postal_code)


READERS = {
    "given_name": lambda p: p.given_name,
    "family_name": lambda p: p.family_name,
    "preferred_name": lambda p: p.preferred_name,
    "date_of_birth": lambda p: to_date(p.date_of_birth, "patient.date_of_birth", required=False),
    "sex_at_birth": lambda p: EnumMap(patient_pb2.SexAtBirth).to_domain(p.sex_at_birth,
                                      "patient.sex_at_birth"),
    "gender_identity": lambda p: p.gender_identity,
    "phone": lambda p: p.phone,
    "email": lambda p: p.email,
    "address": lambda p: _address(p.address),
    "preferred_location_id": lambda p: p.preferred_location_id,
    "emergency_contact": lambda p: _contact(p.emergency_contact),
    "escort": lambda p: _contact(p.escort),
}


def values(message: patient_pb2.Patient, paths=None) -> dict:
    """Domain values of the named fields (all a caller may set when ``paths`` is None)."""
    names = list(READERS) if paths is None else list(paths)
    if paths is not None and not names:
        raise FieldViolation("update_mask", "is required: name the fields to change")
    for name in names:
        if name not in READERS:
            raise FieldViolation("update_mask", f"{name!r} is not a field that can be changed")
    return {name: READERS[name](message) for name in names}


def to_proto(view: PatientView, *, clinical: bool) -> patient_pb2.Patient:
    """The patient as staff see it; open safety flags only for clinicians (``clinical``):
    they come from screening answers, which the front desk and billing do not see."""
    p = view.patient
    message = patient_pb2.Patient(
        name=PATIENTS + p.patient_id, patient_id=p.patient_id, given_name=p.given_name,
        family_name=p.family_name, preferred_name=p.preferred_name, phone=p.phone,
        email=p.email, preferred_location_id=p.preferred_location_id,
        create_time=timestamp(p.created_at), update_time=timestamp(p.updated_at),
        sex_at_birth=EnumMap(patient_pb2.SexAtBirth).to_proto(p.sex_at_birth),
        gender_identity=p.gender_identity,
        address=patient_pb2.PostalAddress(**vars(p.address)),
        emergency_contact=patient_pb2.Contact(**vars(p.emergency_contact)),
        escort=patient_pb2.Contact(**vars(p.escort)),
        state=EnumMap(patient_pb2.PatientState).to_proto(p.state),
        merged_into=PATIENTS + p.merged_into_patient_id if p.merged_into_patient_id else "",
        revision=p.revision,
        open_safety_flags=[flag_out(f) for f in view.open_safety_flags] if clinical else [])
    fill_date(message.date_of_birth, p.date_of_birth)
    for other, reason, flagged in view.suspected_duplicates:
        message.suspected_duplicates.add(
            patient=PATIENTS + other, reason=EnumMap(patient_pb2.DuplicateReason).to_proto(reason),
            flag_time=timestamp(flagged))
    return message
