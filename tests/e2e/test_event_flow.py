"""Events between the services, end to end: processes, sockets, PostgreSQL, a real broker."""

import datetime as dt
import time
import uuid

import grpc
import pytest
from clinic.scheduling.v1 import appointment_pb2
from clinic.scheduling.v1 import appointment_service_pb2 as appt_pb
from clinic.scheduling.v1 import events_pb2 as scheduling_events
from clinic.scheduling.v1 import visit_service_pb2 as visit_pb
from clinic_common import envelope
from clinic_common.consumer import dlq_topic
from clinic_common.protoconv import timestamp
from clinic_devtools.testing.infra import read_topic
from kafka import KafkaProducer
from sqlalchemy import create_engine, text

from tests.conftest import require_restartable
from tests.e2e.conftest import eventually, next_open_time

pytestmark = pytest.mark.e2e


def book_and_complete(stack, patient_id: str, hour: int, days_ahead: int = 1) -> str:
    """A follow-up booked at la-jolla and completed; returns the appointment id."""
    appointment = appointment_pb2.Appointment(patient_id=patient_id, appointment_type="FOLLOW_UP")
    appointment.start_time.CopyFrom(timestamp(next_open_time(
        hour, days_ahead, closed=stack.closures("la-jolla"))))
    booked = eventually(lambda: stack.appointments.CreateAppointment(
        appt_pb.CreateAppointmentRequest(parent="locations/la-jolla",
                                         appointment=appointment)).appointment)
    with stack.scheduling_time(booked.end_time.ToDatetime(dt.UTC)):
        stack.visits.CheckInAppointment(visit_pb.CheckInAppointmentRequest(name=booked.name))
        stack.visits.CompleteAppointment(visit_pb.CompleteAppointmentRequest(
            name=booked.name, rendering_provider_id="dr-1"))
    return booked.appointment_id


def test_a_patient_registered_in_intake_reaches_scheduling_and_billing(stack):
    stack.apply_locations()
    patient = stack.register_patient(preferred_location_id="la-jolla")
    account = eventually(lambda: stack.account(patient.patient_id))
    assert account.registered
    appointment_id = book_and_complete(stack, patient.patient_id, hour=9)
    charges = eventually(lambda: stack.charges(patient.patient_id))
    assert {c.appointment_id for c in charges} == {appointment_id}


def test_the_same_event_delivered_twice_has_one_effect(stack):
    stack.apply_locations()
    patient = stack.register_patient()
    first = book_and_complete(stack, patient.patient_id, hour=9)
    charges = eventually(lambda: stack.charges(patient.patient_id))
    topic = stack.kafka.topic("clinic.scheduling.v1")
    [completed] = [r for r in read_topic(stack.kafka.servers, topic, expected=2)
                   if dict(r.headers)["ce_type"] == b"clinic.scheduling.v1.AppointmentCompleted"]
    producer = KafkaProducer(bootstrap_servers=stack.kafka.servers, acks="all")
    producer.send(topic, key=completed.key, value=completed.value,
                  headers=list(completed.headers)).get(10)
    producer.close()
    # A later visit of the same patient shares the partition, so once its charge
    # is posted the duplicate before it has been consumed too.
    second = book_and_complete(stack, patient.patient_id, hour=11)
    after = eventually(lambda: [c for c in stack.charges(patient.patient_id)
                                if c.appointment_id == second])
    all_charges = stack.charges(patient.patient_id)
    assert len([c for c in all_charges if c.appointment_id == first]) == len(charges)
    assert len(all_charges) == len(charges) + len(after)


def test_a_malformed_event_is_dead_lettered_and_later_events_still_flow(stack):
    stack.apply_locations()
    patient = stack.register_patient()
    eventually(lambda: stack.account(patient.patient_id))
    topic = stack.kafka.topic("clinic.scheduling.v1")
    headers = envelope.attributes(
        event_id=f"bad-{uuid.uuid4()}", event_type="clinic.scheduling.v1.AppointmentCompleted",
        source="/clinic/scheduling", time=envelope.datetime.now(envelope.UTC),
        correlation_id="e2e")
    producer = KafkaProducer(bootstrap_servers=stack.kafka.servers, acks="all")
    producer.send(topic, key=patient.patient_id.encode(), value=b"\x0a\xff\xff garbage",
                  headers=envelope.to_kafka_headers(headers)).get(10)
    producer.close()
    later = book_and_complete(stack, patient.patient_id, hour=10)
    eventually(lambda: [c for c in stack.charges(patient.patient_id) if c.appointment_id == later])
    dead = read_topic(stack.kafka.servers, dlq_topic(topic), expected=1)
    dead_headers = {k: v.decode() for k, v in dead[0].headers}
    assert dead_headers["ce_id"] == headers["ce_id"]
    assert dead_headers["dlq_consumer"] == "billing"
    assert dead_headers["dlq_error"]


def test_a_change_made_while_the_broker_is_down_arrives_after_it_returns(stack, broker):
    require_restartable(broker)
    warm = stack.register_patient()
    eventually(lambda: stack.account(warm.patient_id))
    broker.stop()
    try:
        patient = stack.register_patient()  # commits although nothing can be published
        time.sleep(1.0)
        with pytest.raises(grpc.RpcError) as missing:
            stack.account(patient.patient_id)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        broker.start()
    account = eventually(lambda: stack.account(patient.patient_id), timeout=90)
    assert account.patient_id == patient.patient_id


def test_a_consumer_killed_mid_stream_resumes_without_loss_or_duplicate(stack):
    patient = stack.register_patient()
    eventually(lambda: stack.account(patient.patient_id))
    topic = stack.kafka.topic("clinic.scheduling.v1")
    total = 3000  # the consumer applies hundreds a second: long enough to be killed mid-way
    producer = KafkaProducer(bootstrap_servers=stack.kafka.servers, acks="all", linger_ms=5)
    for n in range(total):
        event = scheduling_events.AppointmentCompleted(
            appointment_id=f"burst-{n}", location_id="la-jolla", patient_id=patient.patient_id,
            appointment_type="FOLLOW_UP", service_date="2026-11-20",
            service_lines=[scheduling_events.ServiceLine(procedure_code="99213", units=1)])
        headers = envelope.attributes(
            event_id=str(uuid.uuid4()), event_type=event.DESCRIPTOR.full_name,
            source="/clinic/scheduling", time=envelope.datetime.now(envelope.UTC),
            correlation_id="burst")
        producer.send(topic, key=patient.patient_id.encode(), value=event.SerializeToString(),
                      headers=envelope.to_kafka_headers(headers))
    producer.flush()
    producer.close()

    billing_db = create_engine(stack.urls["billing"])

    def burst_counts() -> tuple[int, int, int]:
        """Charges, distinct appointments and ledger entries of the burst, read from billing's database."""
        with billing_db.connect() as connection:
            return connection.execute(text(
                "select count(*), count(distinct c.appointment_id), "
                "(select count(*) from ledger_entries l join charges c2 on l.charge_id = c2.charge_id"
                "  where c2.appointment_id like 'burst-%') "
                "from charges c where c.appointment_id like 'burst-%'")).one()

    eventually(lambda: burst_counts()[0] >= 10, interval=0.02)
    stack.processes["billing"].kill()
    seen_at_kill = burst_counts()[0]
    assert seen_at_kill < total, "the burst finished before the kill; make it longer"
    stack.restart("billing")
    eventually(lambda: burst_counts()[0] == total, timeout=90)
    time.sleep(2)  # anything still replaying after the restart would show up as extra rows
    assert burst_counts() == (total, total, total)
    assert len(stack.charges(patient.patient_id)) == total
    billing_db.dispose()


def test_a_restarted_broker_catches_every_consumer_up_without_an_operator(stack, broker):
    """Events published but not yet consumed when the in-memory broker restarts are gone
    from it; intake's relay sees its log cut back and publishes its outbox window again,
    and billing, restarted on an empty broker, ends with every patient: no replay command."""
    require_restartable(broker)
    before = [stack.register_patient() for _ in range(3)]
    for patient in before:
        eventually(lambda p=patient: stack.account(p.patient_id))
    stack.processes["billing"].terminate()
    during = [stack.register_patient() for _ in range(4)]
    # Published to the broker (but not consumed) before it goes.
    eventually(lambda: _pending_in_outbox(stack, "intake") == 0)
    broker.stop()
    broker.start()
    stack.restart("billing")
    for patient in before + during:
        assert eventually(lambda p=patient: stack.account(p.patient_id), timeout=90)


def _pending_in_outbox(stack, service: str) -> int:
    engine = create_engine(stack.urls[service])
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "select count(*) from outbox where sent_at is null")).scalar_one()
    finally:
        engine.dispose()
