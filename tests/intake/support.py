"""Helpers for intake's tests: messages, staff metadata, error reasons, outbox events."""

from __future__ import annotations

import datetime as dt

import grpc
from clinic.intake.v1 import events_pb2, patient_pb2
from clinic_common.identity import Role
from clinic_common.protoconv import fill_date
from clinic_devtools.testing import auth
from google.rpc import error_details_pb2
from grpc_status import rpc_status

# A staff member with every role at every location (tests of access rules use their own
# tokens), and a front-desk clerk.
STAFF = auth.metadata(*auth.ALL_STAFF, sub="dr-lee")
FRONT_DESK = auth.metadata(Role.FRONT_DESK, sub="desk-1", locations=("la-jolla",))
LOCATION = "la-jolla"


def reason(error: grpc.RpcError) -> str:
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(error).details[0].Unpack(info)
    return info.reason


def date(value: dt.date):
    from clinic.common.v1 import types_pb2

    message = types_pb2.Date()
    fill_date(message, value)
    return message


def patient(**overrides) -> patient_pb2.Patient:
    message = patient_pb2.Patient(given_name="Ana", family_name="Reyes", phone="+16195550101")
    message.date_of_birth.CopyFrom(date(dt.date(1984, 5, 17)))
    for key, value in overrides.items():
        if isinstance(value, dt.date):
            getattr(message, key).CopyFrom(date(value))
        elif hasattr(value, "DESCRIPTOR"):
            getattr(message, key).CopyFrom(value)
        else:
            setattr(message, key, value)
    return message


def outbox(runtime) -> list:
    """Every event the service stored, oldest first, as (type name, key, message)."""
    with runtime.session_factory() as session:
        rows = runtime.outbox.select(session)
    found = []
    for row in rows:
        short = row.event_type.rsplit(".", 1)[-1]
        message = getattr(events_pb2, short)()
        message.ParseFromString(row.payload)
        found.append((short, row.partition_key, message))
    return found


def event_types(runtime) -> list[str]:
    return [name for name, _, _ in outbox(runtime)]


def refused(call, *args, **kwargs) -> grpc.RpcError:
    """The error a call fails with; fails the test if the call succeeds."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        return error
    raise AssertionError("the call succeeded but should have been refused")


def register(api, **fields):
    """Registers a patient at the front desk; returns the stored message."""
    from clinic.intake.v1 import intake_service_pb2

    return api.patients.CreatePatient(intake_service_pb2.CreatePatientRequest(
        patient=patient(**fields)), metadata=FRONT_DESK).patient


def stamp(value: dt.datetime):
    from google.protobuf.timestamp_pb2 import Timestamp

    message = Timestamp()
    message.FromDatetime(value)
    return message


def record_vitals(api, parent, measured: dt.datetime | None = None, metadata=STAFF, **values):
    """Records vital signs (default: now, at La Jolla); returns the stored message."""
    from clinic.intake.v1 import history_pb2, history_service_pb2

    values.setdefault("location_id", LOCATION)
    vitals = history_pb2.Vitals(measure_time=stamp(measured or dt.datetime.now(dt.UTC)),
                                **values)
    return api.history.RecordVitals(history_service_pb2.RecordVitalsRequest(
        parent=parent, vitals=vitals), metadata=metadata).vitals


def add_history(api, parent, **detail):
    """Records one history entry, given as condition=..., medication=... and so on."""
    from clinic.intake.v1 import history_pb2, history_service_pb2

    return api.history.CreateHistoryEntry(history_service_pb2.CreateHistoryEntryRequest(
        parent=parent, entry=history_pb2.HistoryEntry(**detail)), metadata=STAFF).entry


def sign_consent(api, parent, consent_type, signed: dt.datetime | None = None, **fields):
    """Records a signed consent of a type (a ConsentType value); returns the stored message."""
    from clinic.intake.v1 import consent_pb2, consent_service_pb2

    if consent_type == consent_pb2.CONSENT_TYPE_SPRAVATO_REMS_ENROLLMENT:
        fields.setdefault("rems_patient_id", "REMS-001")
    consent = consent_pb2.Consent(
        type=consent_type, form_version=fields.pop("form_version", "2025-01"),
        sign_time=stamp(signed or dt.datetime.now(dt.UTC)), signed_by="Ana Reyes", **fields)
    return api.consents.CreateConsent(consent_service_pb2.CreateConsentRequest(
        parent=parent, consent=consent), metadata=STAFF).consent


def answers_totalling(total: int, count: int, top: int) -> list[int]:
    """Item values (each 0..top) that add up to ``total``, filled from the first item."""
    values = []
    for _ in range(count):
        values.append(min(top, total))
        total -= values[-1]
    assert total == 0, "total out of range"
    return values


def screen(api, parent, instrument="PHQ-9", values=None, when: dt.datetime | None = None,
           **fields):
    """Submits a screening with the given item values (all zero by default)."""
    from clinic.intake.v1 import screening_pb2, screening_service_pb2

    counts = {"PHQ-9": 9, "GAD-7": 7, "PCL-5": 20, "PAIN-NRS": 1, "TMS-SAFETY": 10}
    values = values if values is not None else [0] * counts.get(instrument, 1)
    screening = screening_pb2.Screening(
        instrument=instrument, administer_time=stamp(when or dt.datetime.now(dt.UTC)),
        answers=[screening_pb2.ItemAnswer(item=i, value=v) for i, v in enumerate(values, 1)],
        **fields)
    return api.screenings.CreateScreening(screening_service_pb2.CreateScreeningRequest(
        parent=parent, screening=screening), metadata=STAFF).screening


def decide(api, parent, modality, outcome=None, reason="meets criteria", overrides=(),
           metadata=STAFF):
    """Records a candidacy decision (a clearance unless told otherwise)."""
    from clinic.intake.v1 import candidacy_pb2, candidacy_service_pb2, events_pb2

    return api.candidacy.DecideCandidacy(candidacy_service_pb2.DecideCandidacyRequest(
        parent=parent, modality=modality, reason=reason,
        outcome=outcome or events_pb2.CANDIDACY_OUTCOME_CLEARED,
        overrides=[candidacy_pb2.FindingOverride(rule_id=r, reason=w) for r, w in overrides]),
        metadata=metadata).decision


def prepare_for(api, parent, modality):
    """What a clearance needs: a PHQ-9 (and for TMS the safety questionnaire, all no), a
    normal recent blood pressure, the consents."""
    from clinic.intake.v1 import consent_pb2, events_pb2

    screen(api, parent, "PHQ-9", [2, 2, 2, 2, 1, 1, 1, 1, 0])
    if modality == events_pb2.MODALITY_TMS:
        screen(api, parent, "TMS-SAFETY")
    record_vitals(api, parent, systolic_mmhg=122, diastolic_mmhg=78, weight_grams=82300)
    consents = {
        events_pb2.MODALITY_IV_KETAMINE: [consent_pb2.CONSENT_TYPE_KETAMINE_TREATMENT],
        events_pb2.MODALITY_SPRAVATO: [consent_pb2.CONSENT_TYPE_SPRAVATO_TREATMENT,
                                       consent_pb2.CONSENT_TYPE_SPRAVATO_REMS_ENROLLMENT],
        events_pb2.MODALITY_TMS: [consent_pb2.CONSENT_TYPE_TMS_TREATMENT],
    }[modality]
    return [sign_consent(api, parent, kind) for kind in consents]


# A call that sends no token at all, and a second provider.
NO_TOKEN = (("authorization", ""),)
DR_KIM = auth.metadata(*auth.ALL_STAFF, sub="dr-kim")
