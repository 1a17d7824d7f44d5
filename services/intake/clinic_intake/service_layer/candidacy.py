"""Contraindication screening and candidacy decisions."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic.intake.v1 import events_pb2
from clinic_common.protoconv import timestamp
from clinic_common.runner import Change

from clinic_intake.domain import candidacy, errors
from clinic_intake.domain.candidacy import CandidacyDecision, Evidence, Override
from clinic_intake.domain.contraindications import Finding, PatientFacts
from clinic_intake.domain.policy import Policy
from clinic_intake.service_layer.deps import Deps, Mutation, active_patient, patient

MODALITIES = ("IV_KETAMINE", "SPRAVATO", "TMS")


@dataclass(frozen=True, kw_only=True)
class DecideCandidacy(Mutation):
    patient_id: str
    modality: str
    outcome: str
    reason: str
    overrides: list[Override] = field(default_factory=list)


def checked_modality(value: str, field_name: str = "modality") -> str:
    if value not in MODALITIES:
        raise errors.field(field_name, f"must be one of {', '.join(MODALITIES)}")
    return value


def patient_facts(uow, patient_id: str, now, policy: Policy) -> PatientFacts:
    """What the contraindication rules look at, as recorded now."""
    return PatientFacts(patient_id, uow.history.for_patient(patient_id),
                        uow.vitals.latest(patient_id, "systolic_mmhg"), now,
                        date_of_birth=patient(uow, patient_id).date_of_birth,
                        screenings=uow.screenings.for_patient(patient_id), policy=policy)


def evaluate(patient_id: str, modality: str, deps: Deps) -> tuple[list[Finding], object]:
    """The findings of the rules for ``modality``, and when they were evaluated."""
    checked_modality(modality)

    def query(uow):
        patient(uow, patient_id)
        now = deps.runner.clock()
        facts = patient_facts(uow, patient_id, now, deps.policy)
        return deps.rules.evaluate(modality, facts), now

    return deps.runner.read(query)


def _evidence(uow, deps: Deps, patient_id: str, modality: str, now) -> Evidence:
    return Evidence(
        findings=deps.rules.evaluate(modality,
                                     patient_facts(uow, patient_id, now, deps.policy)),
        rule_ids=deps.rules.ids(), screenings=uow.screenings.for_patient(patient_id),
        open_flags=uow.safety_flags.page(patient_id, limit=1, open_only=True).items,
        consents=uow.consents.for_patient(patient_id))


def decide_candidacy(cmd: DecideCandidacy, deps: Deps) -> str:
    """Records the decision after checking what its outcome requires, and announces it."""
    checked_modality(cmd.modality)

    def action(uow, c: Change) -> str:
        now = c.now
        active_patient(uow, cmd.patient_id)
        decision = candidacy.decide(
            cmd.patient_id, cmd.modality, cmd.outcome, cmd.reason, cmd.overrides,
            _evidence(uow, deps, cmd.patient_id, cmd.modality, now), staff_id=c.actor,
            policy=deps.policy, now=now)
        uow.decisions.add(decision)
        uow.emit(events_pb2.CandidacyDecided(
            patient_id=decision.patient_id, decision_id=decision.decision_id,
            modality=events_pb2.Modality.Value(f"MODALITY_{decision.modality}"),
            outcome=events_pb2.CandidacyOutcome.Value(f"CANDIDACY_OUTCOME_{decision.outcome}"),
            decided_by=decision.decided_by, decide_time=timestamp(now),
            escort_required=decision.escort_required,
            fasting_instruction=decision.fasting_instruction), key=cmd.patient_id)
        return decision.decision_id

    return deps.runner.change("DecideCandidacy", cmd.key, action)


def decision_of(uow, patient_id: str, decision_id: str) -> CandidacyDecision:
    found = uow.decisions.get(decision_id)
    if found is None or found.patient_id != patient_id:
        raise errors.RecordNotFound("candidacy decision", decision_id)
    return found


def get_decision(patient_id: str, decision_id: str, deps: Deps) -> CandidacyDecision:
    return deps.runner.read(lambda uow: decision_of(uow, patient_id, decision_id))


def list_decisions(patient_id: str, deps: Deps, *, limit: int, after: list | None,
                   modality: str = ""):
    def query(uow):
        patient(uow, patient_id)
        return uow.decisions.page(patient_id, limit=limit, after=after, modality=modality)

    return deps.runner.read(query)
