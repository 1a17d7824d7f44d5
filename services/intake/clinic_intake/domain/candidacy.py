"""A provider's candidacy decision, and what a clearance requires.

A clearance for a modality needs: a completed screening of each instrument the
clinic requires, recent enough; no safety flag left unacknowledged; every
blocking contraindication finding overridden with a reason; and each signed
consent the modality needs (for Spravato, the REMS patient enrollment). A
clearance carries the modality's pre-treatment policy as it stood when given: whether
an escort must take the patient home, and the fasting instruction.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from clinic_intake.domain import common, consent, errors
from clinic_intake.domain.contraindications import Finding, Outcome
from clinic_intake.domain.policy import Policy, PreTreatment
from clinic_intake.domain.screening import SafetyFlag, Screening


class Decision(enum.StrEnum):
    CLEARED = "CLEARED"
    NOT_A_CANDIDATE = "NOT_A_CANDIDATE"
    NEEDS_MORE_INFORMATION = "NEEDS_MORE_INFORMATION"


@dataclass(frozen=True)
class Override:
    rule_id: str
    reason: str


@dataclass
class Evidence:
    """What the decision is checked against, as recorded when it is made."""

    findings: list[Finding]
    rule_ids: set[str]
    screenings: list[Screening]
    open_flags: list[SafetyFlag]
    consents: list[consent.Consent]


@dataclass
class CandidacyDecision:
    decision_id: str
    patient_id: str
    modality: str
    outcome: str
    reason: str
    decided_by: str
    decided_at: dt.datetime = field(kw_only=True)
    findings: list = field(default_factory=list)
    overrides: list = field(default_factory=list)
    screening_ids: list = field(default_factory=list)
    consent_ids: list = field(default_factory=list)
    escort_required: bool = False
    fasting_instruction: str = ""

    @property
    def clears(self) -> bool:
        return self.outcome == Decision.CLEARED


def _checked_overrides(overrides: list[Override], rule_ids: set[str]) -> list[Override]:
    seen = set()
    for i, o in enumerate(overrides):
        if o.rule_id not in rule_ids:
            raise errors.field(f"overrides[{i}].rule_id", f"{o.rule_id!r} is not a rule of the "
                               "clinic's rule set", reason="UNKNOWN_RULE")
        if o.rule_id in seen:
            raise errors.field(f"overrides[{i}].rule_id", "is overridden twice")
        common.required_text(o.reason, f"overrides[{i}].reason", 500)
        seen.add(o.rule_id)
    return [Override(o.rule_id, o.reason.strip()) for o in overrides]


def _qualifying_screenings(modality: str, evidence: Evidence, policy: Policy,
                           now: dt.datetime) -> list[Screening]:
    oldest = now - dt.timedelta(days=policy.screening_max_age_days)
    chosen = []
    for code in policy.clearance_instruments.get(modality, ()):
        recent = [s for s in evidence.screenings
                  if s.instrument == code and s.administered_at >= oldest]
        if not recent:
            raise errors.Refused("SCREENING_REQUIRED", f"a clearance needs a {code} screening "
                                 f"from the last {policy.screening_max_age_days} days",
                                 instrument=code)
        chosen.append(max(recent, key=lambda s: s.administered_at))
    return chosen


def _check_findings(findings: list[Finding], overrides: list[Override]) -> None:
    by_rule = {f.rule_id: f for f in findings}
    for o in overrides:
        if o.rule_id not in by_rule or by_rule[o.rule_id].outcome == Outcome.OK:
            raise errors.Refused("NOTHING_TO_OVERRIDE", f"rule {o.rule_id!r} found nothing "
                                 "for this patient and modality", rule_id=o.rule_id)
    overridden = {o.rule_id for o in overrides}
    blocking = [f.rule_id for f in findings
                if f.outcome == Outcome.BLOCK and f.rule_id not in overridden]
    if blocking:
        raise errors.Refused("BLOCKING_FINDING", "contraindications block a clearance: "
                             f"{', '.join(blocking)}; override each with a reason or decide "
                             "otherwise", rules=",".join(blocking))


def no_open_flags(open_flags: list[SafetyFlag]) -> None:
    if open_flags:
        raise errors.Refused("UNACKNOWLEDGED_SAFETY_FLAG", "a clinician must acknowledge the "
                             "patient's safety flags first", flag_id=open_flags[0].flag_id)


def standing_consents(modality: str, consents: list[consent.Consent],
                      policy: Policy) -> list[str]:
    """Ids of the standing consents the modality needs; refused if any is missing."""
    required = policy.required_consents.get(modality, ())
    missing = consent.missing(required, consents)
    if consent.ConsentType.SPRAVATO_REMS_ENROLLMENT in missing:
        raise errors.Refused("REMS_ENROLLMENT_REQUIRED", "Spravato needs the patient's REMS "
                             "enrollment recorded first")
    if missing:
        raise errors.Refused("CONSENT_REQUIRED", f"a clearance for {modality} needs signed "
                             f"consent: {', '.join(missing)}", missing=",".join(missing))
    return [c.consent_id for c in consents if c.stands and c.consent_type in required]


def decide(patient_id: str, modality: str, outcome: str, reason: str,
           overrides: list[Override], evidence: Evidence, *, staff_id: str, policy: Policy,
           now: dt.datetime) -> CandidacyDecision:
    """A decision, after checking what its outcome requires."""
    outcome = common.choice(Decision, outcome, "outcome")
    reason = common.required_text(reason, "reason", 1000)
    overrides = _checked_overrides(overrides, evidence.rule_ids)
    decision = CandidacyDecision(
        decision_id=common.new_id(), patient_id=patient_id, modality=modality, outcome=outcome,
        reason=reason, decided_by=staff_id, decided_at=now,
        findings=[common.jsonable(f) for f in evidence.findings],
        overrides=[common.jsonable(o) for o in overrides])
    if outcome != Decision.CLEARED:
        if overrides:
            raise errors.field("overrides", "are only for a clearance")
        return decision
    decision.screening_ids = [s.screening_id for s in
                              _qualifying_screenings(modality, evidence, policy, now)]
    no_open_flags(evidence.open_flags)
    _check_findings(evidence.findings, overrides)
    decision.consent_ids = standing_consents(modality, evidence.consents, policy)
    pre = policy.pre_treatment.get(modality, PreTreatment(False))
    decision.escort_required, decision.fasting_instruction = \
        pre.escort_required, pre.fasting_instruction
    return decision
