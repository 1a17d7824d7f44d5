"""Concurrent changes end in one winner and clear errors; retries with a request id change once."""

import datetime as dt
import threading

import grpc
from clinic.intake.v1 import events_pb2 as ev
from clinic.intake.v1 import intake_service_pb2 as intake_pb
from clinic.intake.v1 import screening_pb2
from clinic.intake.v1 import screening_service_pb2 as screening_pb
from clinic.intake.v1 import treatment_plan_pb2 as tp
from clinic.intake.v1 import treatment_plan_service_pb2 as pb
from google.protobuf import field_mask_pb2

from tests.intake.support import STAFF, decide, event_types, patient, prepare_for, register, stamp

RACERS = 4


def _race(call) -> list:
    """Runs ``call(i)`` in RACERS threads released together; returns results or errors."""
    barrier, results = threading.Barrier(RACERS), [None] * RACERS

    def run(i):
        barrier.wait()
        try:
            results[i] = call(i)
        except grpc.RpcError as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), "a racer did not finish: no result is counted for it"
    return results


def _plan_request(parent, request_id=""):
    plan = tp.TreatmentPlan(modality=ev.MODALITY_IV_KETAMINE, indication_code="F33.2")
    return pb.CreateTreatmentPlanRequest(parent=parent, request_id=request_id, plan=plan)


def _cleared(api):
    ana = register(api)
    prepare_for(api, ana.name, ev.MODALITY_IV_KETAMINE)
    decide(api, ana.name, ev.MODALITY_IV_KETAMINE)
    return ana


def test_concurrent_plans_of_one_modality_leave_one_plan(api):
    ana = _cleared(api)
    results = _race(lambda i: api.plans.CreateTreatmentPlan(_plan_request(ana.name),
                                                            metadata=STAFF))
    won = [r for r in results if not isinstance(r, grpc.RpcError)]
    lost = [r.code() for r in results if isinstance(r, grpc.RpcError)]
    assert len(won) == 1
    assert set(lost) <= {grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.ABORTED}
    assert len(api.plans.ListTreatmentPlans(pb.ListTreatmentPlansRequest(
        parent=ana.name)).plans) == 1
    assert event_types(api.runtime).count("TreatmentPlanCreated") == 1


def test_concurrent_updates_keep_one_revision_per_successful_change(api):
    ana = register(api)

    def update(i):
        changes = patient(email=f"ana{i}@example.com")
        changes.name = ana.name
        return api.patients.UpdatePatient(intake_pb.UpdatePatientRequest(
            patient=changes, update_mask=field_mask_pb2.FieldMask(paths=["email"])),
            metadata=STAFF)

    results = _race(update)
    won = [r for r in results if not isinstance(r, grpc.RpcError)]
    lost = {r.code() for r in results if isinstance(r, grpc.RpcError)}
    assert won and lost <= {grpc.StatusCode.ABORTED}
    revisions = api.patients.ListRecordRevisions(intake_pb.ListRecordRevisionsRequest(
        record=ana.name)).revisions
    assert [r.revision for r in revisions] == list(range(1, len(won) + 2))
    final = api.patients.GetPatient(intake_pb.GetPatientRequest(name=ana.name)).patient
    assert final.email == revisions[-1].snapshot["email"]
    assert event_types(api.runtime).count("PatientUpdated") == len(won)


def test_a_retried_plan_returns_the_first_one_rather_than_already_exists(api):
    ana = _cleared(api)
    first = api.plans.CreateTreatmentPlan(_plan_request(ana.name, "plan-1"), metadata=STAFF)
    again = api.plans.CreateTreatmentPlan(_plan_request(ana.name, "plan-1"), metadata=STAFF)
    assert again.plan == first.plan
    assert event_types(api.runtime).count("TreatmentPlanCreated") == 1


def test_a_retried_screening_is_scored_and_flagged_once(api):
    ana = register(api)
    request = screening_pb.CreateScreeningRequest(
        parent=ana.name, request_id="phq-1", screening=screening_pb2.Screening(
            instrument="PHQ-9", administer_time=stamp(dt.datetime.now(dt.UTC)),
            answers=[screening_pb2.ItemAnswer(item=i, value=1) for i in range(1, 10)]))
    first = api.screenings.CreateScreening(request, metadata=STAFF).screening
    again = api.screenings.CreateScreening(request, metadata=STAFF).screening
    assert again == first
    assert event_types(api.runtime).count("ScreeningScored") == 1
    assert event_types(api.runtime).count("SafetyFlagRaised") == 1
