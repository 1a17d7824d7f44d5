"""The visit day over gRPC: check-in checklist and safety flags, start, vitals, end,
discharge and completion, with the events they announce."""

import datetime as dt

import grpc
import pytest
from clinic.common.v1.types_pb2 import Date
from clinic.intake.v1 import events_pb2 as intake
from clinic.scheduling.v1 import appointment_pb2
from clinic.scheduling.v1 import events_pb2 as scheduling_events
from clinic.scheduling.v1 import visit_service_pb2 as visit_pb

from tests.scheduling.helpers import PACIFIC, reason
from tests.scheduling.integration.conftest import DECISIONS_FROM

START = dt.datetime(2027, 3, 3, 9, 0, tzinfo=PACIFIC)  # Wednesday
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def ready(scheduling):
    scheduling.create_location()
    scheduling.register("p1")
    decision = intake.CandidacyDecided(
        patient_id="p1", decision_id="d-escort", modality=intake.MODALITY_IV_KETAMINE,
        outcome=intake.CANDIDACY_OUTCOME_CLEARED, decided_by="dr-1", escort_required=True,
        fasting_instruction="No food for 6 hours before the infusion.")
    decision.decide_time.FromDatetime(DECISIONS_FROM)
    assert scheduling.feed(decision, key="p1") == "handled"
    scheduling.start_plan("p1", dose_mcg=35_000)
    return scheduling


def events_of(scheduling, kind):
    return [kind.FromString(e.payload) for e in scheduling.events()
            if e.event_type == kind.DESCRIPTOR.full_name]


def refused(call):
    with pytest.raises(grpc.RpcError) as error:
        call()
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    return reason(error.value)


def at(scheduling, when):
    scheduling.clock.now = when.astimezone(dt.UTC)


def test_an_infusion_runs_from_check_in_to_completion_and_bills_the_dose_given(ready):
    api = ready.visit_api
    name = ready.book("p1", START).name
    at(ready, START - 10 * MIN)
    assert refused(lambda: api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True))) == "CHECKLIST_INCOMPLETE"
    assert events_of(ready, scheduling_events.AppointmentCheckedIn) == []
    checked = api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True)).appointment
    assert (checked.status, checked.visit_phase) == (
        appointment_pb2.APPOINTMENT_STATUS_CHECKED_IN, appointment_pb2.VISIT_PHASE_CHECKED_IN)
    at(ready, START)
    started = api.StartVisit(visit_pb.StartVisitRequest(
        name=name, drug="ketamine", dose_given_mg="37.5", lot_number="K-1")).appointment
    assert (started.visit.dose_given_mcg, started.visit.rendering_staff_id) == \
        (37_500, "test-staff")
    at(ready, START + 20 * MIN)
    high = api.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(
        name=name, systolic_mmhg=185, diastolic_mmhg=95, pulse_bpm=88, spo2_percent=97))
    assert list(high.alerts) == ["systolic_mmhg"]
    at(ready, START + 41 * MIN)
    api.EndVisit(visit_pb.EndVisitRequest(name=name))
    at(ready, START + 80 * MIN)
    assert refused(lambda: api.DischargeVisit(visit_pb.DischargeVisitRequest(name=name))) == \
        "ESCORT_REQUIRED"
    discharged = api.DischargeVisit(visit_pb.DischargeVisitRequest(
        name=name, escort_name="Sam Doe")).appointment
    assert discharged.visit_phase == appointment_pb2.VISIT_PHASE_DISCHARGED
    done = api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(name=name)).appointment
    assert done.status == appointment_pb2.APPOINTMENT_STATUS_FULFILLED
    [checked_in] = events_of(ready, scheduling_events.AppointmentCheckedIn)
    [visit_started] = events_of(ready, scheduling_events.VisitStarted)
    [alert] = events_of(ready, scheduling_events.VitalsAlert)
    [completed] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert checked_in.patient_id == visit_started.patient_id == "p1"
    assert (alert.readings, alert.systolic_mmhg) == (["systolic_mmhg"], 185)
    assert (completed.drug, completed.dose_given_mcg, completed.lot_number,
            completed.rendering_staff_id, completed.infusion_minutes) == \
        ("ketamine", 37_500, "K-1", "test-staff", 41)
    assert completed.actual_start_time.ToDatetime(dt.UTC) == START.astimezone(dt.UTC)
    assert completed.actual_end_time.ToDatetime(dt.UTC) == (START + 41 * MIN).astimezone(dt.UTC)
    assert [(line.procedure_code, line.units) for line in completed.service_lines] == \
        [("96365", 1), ("J3490", 38)]  # 37.5 mg given, not the plan's 35 mg


def test_steps_out_of_order_are_refused_and_change_nothing(ready):
    api = ready.visit_api
    name = ready.book("p1", START).name
    at(ready, START)
    assert refused(lambda: api.StartVisit(visit_pb.StartVisitRequest(name=name))) == \
        "VISIT_NOT_CHECKED_IN"
    assert refused(lambda: api.EndVisit(visit_pb.EndVisitRequest(name=name))) == \
        "VISIT_NOT_IN_PROGRESS"
    api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True))
    assert refused(lambda: api.CompleteAppointment(
        visit_pb.CompleteAppointmentRequest(name=name))) == "VISIT_STEPS_INCOMPLETE"
    assert events_of(ready, scheduling_events.AppointmentCompleted) == []
    assert events_of(ready, scheduling_events.VisitStarted) == []


def test_a_malformed_dose_or_vitals_are_invalid(ready):
    api = ready.visit_api
    name = ready.book("p1", START).name
    at(ready, START)
    api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True))
    for dose in ("abc", "-1", "0.0001", "NaN"):
        with pytest.raises(grpc.RpcError) as error:
            api.StartVisit(visit_pb.StartVisitRequest(name=name, drug="ketamine",
                                                      dose_given_mg=dose))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        api.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(name=name))
    assert (error.value.code(), reason(error.value)) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")


def test_an_open_suicidality_flag_stops_treatment_booking_and_check_in_until_acknowledged(
        ready):
    name = ready.book("p1", START).name
    flag = intake.SafetyFlagRaised(patient_id="p1", flag_id="f-1", kind="SUICIDALITY")
    assert ready.feed(flag, key="p1") == "handled"
    with pytest.raises(grpc.RpcError) as booking:
        ready.book("p1", START + dt.timedelta(days=1))
    assert reason(booking.value) == "SAFETY_FLAG_OPEN"
    at(ready, START)
    check_in = visit_pb.CheckInAppointmentRequest(name=name, escort_confirmed=True,
                                                  fasting_confirmed=True)
    assert refused(lambda: ready.visit_api.CheckInAppointment(check_in)) == "SAFETY_FLAG_OPEN"
    assert ready.feed(intake.SafetyFlagAcknowledged(
        patient_id="p1", flag_id="f-1", acknowledged_by="dr-1"), key="p1") == "handled"
    assert ready.visit_api.CheckInAppointment(check_in).appointment.status == \
        appointment_pb2.APPOINTMENT_STATUS_CHECKED_IN


def test_a_day_view_lists_a_locations_day_in_local_dates_and_a_staff_members_visits(
        scheduling):
    scheduling.create_location()
    for patient_id in ("p1", "p2", "p3"):
        scheduling.register(patient_id)
    # 17:30 in San Diego on 3 March is 01:30 UTC on 4 March: still the local 3 March.
    names = [scheduling.book(p, START + dt.timedelta(hours=h), kind="FOLLOW_UP").name
             for p, h in (("p1", 0), ("p2", 1), ("p3", 8.5))]
    scheduling.book("p1", START + dt.timedelta(days=1), kind="FOLLOW_UP")
    day = Date(year=2027, month=3, day=3)
    listed = scheduling.appointments(parent="locations/la-jolla", start_date=day,
                                     end_date=day, page_size=1)
    assert [a.name for a in listed] == names
    at(scheduling, START + dt.timedelta(hours=1))
    scheduling.visit_api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(name=names[1]))
    scheduling.visit_api.StartVisit(visit_pb.StartVisitRequest(name=names[1]))
    assert [a.name for a in scheduling.appointments(
        parent="locations/la-jolla", start_date=day, end_date=day,
        rendering_staff_id="test-staff")] == [names[1]]
    assert scheduling.appointments(rendering_staff_id="someone-else") == []


def test_a_nurses_day_lists_the_visits_she_is_booked_on_before_any_has_started(scheduling):
    # The RN an infusion is booked on sees it in her day at once, not only once she has
    # started it; a provider's day holds their consultations, not the infusions.
    scheduling.create_location()
    for patient_id in ("p1", "p2", "p3"):
        scheduling.register(patient_id)
        scheduling.clear(patient_id)
    booked = [scheduling.book(p, START + dt.timedelta(hours=h), kind=kind)
              for p, h, kind in (("p1", 0, "IV_KETAMINE_INFUSION"),
                                 ("p2", 2, "IV_KETAMINE_INFUSION"),
                                 ("p3", 4, "FOLLOW_UP"))]
    day = Date(year=2027, month=3, day=3)
    by_staff: dict[str, list[str]] = {}
    for appointment in booked:
        for member in appointment.staff:
            by_staff.setdefault(member.staff_member_id, []).append(appointment.name)
    assert len(by_staff) >= 2
    for member, names in by_staff.items():
        listed = scheduling.appointments(parent="locations/-", start_date=day, end_date=day,
                                         staff_member_id=member, page_size=1)
        assert [a.name for a in listed] == names, member
    provider = next(m.staff_member_id for m in booked[2].staff)
    assert [a.name for a in scheduling.appointments(
        start_date=day, end_date=day, staff_member_id=provider)] == [booked[2].name]
    assert scheduling.appointments(staff_member_id="nobody") == []


def test_an_acknowledgement_seen_before_its_flag_keeps_the_flag_closed(ready):
    ack = intake.SafetyFlagAcknowledged(patient_id="p1", flag_id="f-2", acknowledged_by="dr-1")
    flag = intake.SafetyFlagRaised(patient_id="p1", flag_id="f-2", kind="SUICIDALITY")
    assert ready.feed(ack, key="p1") == "handled"
    assert ready.feed(flag, key="p1") == "handled"
    assert ready.book("p1", START).status == appointment_pb2.APPOINTMENT_STATUS_BOOKED


def test_check_in_refuses_a_weight_based_dose_computed_from_an_old_weight(scheduling):
    scheduling.create_location()
    scheduling.register("p1")
    scheduling.decide("p1")
    plan = intake.TreatmentPlanCreated(
        patient_id="p1", plan_id="plan-weighed", version=1,
        modality=intake.MODALITY_IV_KETAMINE, indication_code="F33.2", dose_mcg=35_000)
    plan.weight_measure_time.FromDatetime((START - dt.timedelta(days=31)).astimezone(dt.UTC))
    assert scheduling.feed(plan, key="p1") == "handled"
    name = scheduling.book("p1", START).name
    at(scheduling, START)
    with pytest.raises(grpc.RpcError) as error:
        scheduling.visit_api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
            name=name, escort_confirmed=True, fasting_confirmed=True))
    assert reason(error.value) == "CHECKLIST_INCOMPLETE"
    assert "recent_weight" in error.value.details()
    amended = intake.TreatmentPlanAmended(patient_id="p1", plan_id="plan-weighed", version=2,
                                          indication_code="F33.2", dose_mcg=36_000)
    amended.weight_measure_time.FromDatetime((START - dt.timedelta(days=2)).astimezone(dt.UTC))
    assert scheduling.feed(amended, key="p1") == "handled"
    checked = scheduling.visit_api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True)).appointment
    assert checked.status == appointment_pb2.APPOINTMENT_STATUS_CHECKED_IN


def test_a_retried_vitals_call_records_once_and_answers_as_the_first(ready):
    api = ready.visit_api
    name = ready.book("p1", START).name
    at(ready, START - 10 * MIN)
    api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True))
    at(ready, START + 5 * MIN)
    request = visit_pb.RecordVisitVitalsRequest(
        name=name, systolic_mmhg=186, diastolic_mmhg=96, pulse_bpm=88, spo2_percent=97,
        request_id="vitals-1")
    first = api.RecordVisitVitals(request)
    at(ready, START + 6 * MIN)  # the retry comes a minute later: still the first reading
    again = api.RecordVisitVitals(request)
    assert list(first.alerts) == list(again.alerts) == ["systolic_mmhg"]
    assert first.appointment.visit.vitals == again.appointment.visit.vitals
    assert [(v.systolic_mmhg, v.taken_time.ToDatetime(dt.UTC)) for v in
            again.appointment.visit.vitals] == [(186, (START + 5 * MIN).astimezone(dt.UTC))]
    assert len(events_of(ready, scheduling_events.VitalsAlert)) == 1
    # The same request id with other readings is refused and records nothing.
    with pytest.raises(grpc.RpcError) as reused:
        api.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(
            name=name, systolic_mmhg=120, diastolic_mmhg=80, pulse_bpm=70, spo2_percent=98,
            request_id="vitals-1"))
    assert (reused.value.code(), reason(reused.value)) == \
        (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")
    # Another request id is another reading.
    api.RecordVisitVitals(visit_pb.RecordVisitVitalsRequest(
        name=name, systolic_mmhg=120, diastolic_mmhg=80, pulse_bpm=70, spo2_percent=98,
        request_id="vitals-2"))
    visit = api.RecordVisitVitals(request).appointment.visit
    assert [v.systolic_mmhg for v in visit.vitals] == [186, 120]


def invalid(call):
    with pytest.raises(grpc.RpcError) as error:
        call()
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return reason(error.value)


def _ready_to_complete(scheduling):
    api = scheduling.visit_api
    name = scheduling.book("p1", START).name
    at(scheduling, START)
    api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(
        name=name, escort_confirmed=True, fasting_confirmed=True))
    api.StartVisit(visit_pb.StartVisitRequest(name=name, drug="ketamine", dose_given_mg="35",
                                              lot_number="K-1"))
    at(scheduling, START + 41 * MIN)
    api.EndVisit(visit_pb.EndVisitRequest(name=name))
    at(scheduling, START + 80 * MIN)
    api.DischargeVisit(visit_pb.DischargeVisitRequest(name=name, escort_name="Sam Doe"))
    return name


def test_completion_carries_what_the_clinician_reports_for_billing(ready):
    api = ready.visit_api
    name = _ready_to_complete(ready)
    api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
        name=name, em_level=4, provider_credential="np", drug_wasted_mg="12.5"))
    [completed] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert (completed.em_level, completed.provider_credential, completed.drug_wasted_mcg) == \
        (4, "NP", 12_500)
    assert not completed.HasField("motor_threshold_redetermined")  # not a TMS visit


def test_a_completion_without_billing_facts_leaves_them_unset(ready):
    name = _ready_to_complete(ready)
    ready.visit_api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(name=name))
    [completed] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert not completed.HasField("em_level")
    assert not completed.HasField("drug_wasted_mcg")
    assert completed.provider_credential == ""


@pytest.mark.parametrize(("fields", "expected"), [
    ({"em_level": 1}, "EM_LEVEL_INVALID"),
    ({"em_level": 6}, "EM_LEVEL_INVALID"),
    ({"provider_credential": "RN"}, "PROVIDER_CREDENTIAL_INVALID"),
    ({"motor_threshold_redetermined": True}, "MOTOR_THRESHOLD_NOT_TMS"),
    ({"drug_wasted_mg": "-1"}, "DRUG_WASTED_INVALID"),
    ({"drug_wasted_mg": "abc"}, "DRUG_WASTED_INVALID"),
])
def test_billing_facts_out_of_range_are_refused_and_change_nothing(ready, fields, expected):
    api = ready.visit_api
    name = _ready_to_complete(ready)
    assert invalid(lambda: api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
        name=name, **fields))) == expected
    assert events_of(ready, scheduling_events.AppointmentCompleted) == []
    api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(name=name))
    assert len(events_of(ready, scheduling_events.AppointmentCompleted)) == 1


def test_waste_is_refused_on_a_visit_without_a_drug(ready):
    api = ready.visit_api
    name = ready.book("p1", START, kind="FOLLOW_UP").name
    at(ready, START)
    api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(name=name))
    assert invalid(lambda: api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
        name=name, drug_wasted_mg="5"))) == "DRUG_WASTED_WITHOUT_DRUG"
    api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(name=name, em_level=5))
    [completed] = events_of(ready, scheduling_events.AppointmentCompleted)
    assert completed.em_level == 5


def test_the_completed_visit_says_whether_it_was_the_patients_first_tms_session(scheduling):
    # Billing codes the first TMS session (mapping) apart from the later ones: the event
    # says which, from the patient's completed TMS visits, not from the type booked.
    scheduling.create_location()
    scheduling.register("p1")
    scheduling.clear("p1", modality=intake.MODALITY_TMS)
    api = scheduling.visit_api
    firsts = []
    for day, kind in ((0, "TMS_MAPPING"), (1, "TMS_SESSION")):
        start = START + dt.timedelta(days=day)
        name = scheduling.book("p1", start, kind=kind).name
        at(scheduling, start)
        api.CheckInAppointment(visit_pb.CheckInAppointmentRequest(name=name))
        api.StartVisit(visit_pb.StartVisitRequest(name=name))
        at(scheduling, start + 40 * MIN)
        api.EndVisit(visit_pb.EndVisitRequest(name=name))
        api.DischargeVisit(visit_pb.DischargeVisitRequest(name=name))
        api.CompleteAppointment(visit_pb.CompleteAppointmentRequest(name=name))
        [*_, completed] = events_of(scheduling, scheduling_events.AppointmentCompleted)
        assert completed.HasField("first_tms_session") and not completed.HasField(
            "infusion_minutes")
        firsts.append((completed.appointment_type, completed.first_tms_session))
    assert firsts == [("TMS_MAPPING", True), ("TMS_SESSION", False)]
