"""EvaluateContraindications over gRPC on SQLite and PostgreSQL, with the packaged or own rules."""

import datetime as dt

import grpc
import pytest
from clinic.intake.v1 import candidacy_pb2 as c
from clinic.intake.v1 import candidacy_service_pb2 as pb
from clinic.intake.v1 import events_pb2
from clinic.intake.v1 import history_pb2 as h

from tests.intake.support import add_history, date, record_vitals, refused, register

KETAMINE = events_pb2.MODALITY_IV_KETAMINE


@pytest.fixture
def ana(api):
    return register(api)


def _evaluate(api, parent, modality=KETAMINE):
    return api.candidacy.EvaluateContraindications(pb.EvaluateContraindicationsRequest(
        parent=parent, modality=modality))


def test_findings_cover_every_rule_for_the_modality_with_triggering_facts(api, ana):
    entry = add_history(api, ana.name, condition=h.Condition(code="F31.2"))
    pressure = record_vitals(api, ana.name, systolic_mmhg=170, diastolic_mmhg=104)
    result = _evaluate(api, ana.name)
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["psychosis_or_mania"].outcome == c.FINDING_OUTCOME_BLOCK
    assert [x.record for x in by_rule["psychosis_or_mania"].facts] == [entry.name]
    assert by_rule["uncontrolled_hypertension"].facts[0].record == pressure.name
    assert "170/104" in by_rule["uncontrolled_hypertension"].facts[0].description
    assert by_rule["ketamine_hypersensitivity"].outcome == c.FINDING_OUTCOME_OK
    assert result.findings[0].outcome == c.FINDING_OUTCOME_BLOCK
    assert result.evaluate_time.seconds > 0


def test_nothing_recorded_but_a_recent_normal_pressure_is_all_ok(api, ana):
    record_vitals(api, ana.name, systolic_mmhg=118, diastolic_mmhg=76)
    findings = _evaluate(api, ana.name).findings
    assert findings and {f.outcome for f in findings} == {c.FINDING_OUTCOME_OK}


def test_tms_is_evaluated_against_its_own_rules(api, ana):
    add_history(api, ana.name, condition=h.Condition(code="F31.2"))
    add_history(api, ana.name, condition=h.Condition(code="G40.909"))
    by_rule = {f.rule_id: f.outcome for f in _evaluate(
        api, ana.name, events_pb2.MODALITY_TMS).findings}
    assert "psychosis_or_mania" not in by_rule
    assert by_rule["seizure_history"] == c.FINDING_OUTCOME_NEEDS_REVIEW


def test_modality_is_required(api, ana):
    error = refused(_evaluate, api, ana.name, events_pb2.MODALITY_UNSPECIFIED)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_patient_is_not_found(api):
    assert refused(_evaluate, api, "patients/nobody").code() == grpc.StatusCode.NOT_FOUND


def test_the_rule_set_is_configuration(start_intake, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - id: any_migraine\n    modalities: [IV_KETAMINE]\n"
                     "    finding: needs_review\n    source: clinic policy\n"
                     "    when: {condition_codes: [G43]}\n")
    api = start_intake(contraindication_rules_path=rules)
    ana = register(api)
    add_history(api, ana.name, condition=h.Condition(
        code="G43.909", onset_date=date(dt.date(2010, 1, 1))))
    findings = _evaluate(api, ana.name).findings
    assert [(f.rule_id, f.outcome) for f in findings] == \
        [("any_migraine", c.FINDING_OUTCOME_NEEDS_REVIEW)]
