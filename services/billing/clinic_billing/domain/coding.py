"""Coding a completed visit: which codes, units, modifiers and drug details it bills.

The rules are data (``data/coding_rules.yaml``, read by adapters.coding_rules);
this module applies them to what the visit reports. Where the visit does not
report a fact, the fallback is named at the rule (README "Coding rules").
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace
from decimal import Decimal

from clinic_billing.domain.model import DrugDetail, LineItem


class PayerKind(enum.StrEnum):
    MEDICARE = "MEDICARE"
    MEDICAID = "MEDICAID"
    COMMERCIAL = "COMMERCIAL"


def payer_kind_of(plan_type: str) -> PayerKind:
    """The payer kind a coverage's plan type names; commercial unless Medicare or Medicaid
    (and for a visit without coverage, which self-pay prices)."""
    kind = plan_type.strip().upper()
    return PayerKind(kind) if kind in (PayerKind.MEDICARE, PayerKind.MEDICAID) else \
        PayerKind.COMMERCIAL


@dataclass(frozen=True)
class DatedCode:
    code: str
    start: dt.date | None = None
    end: dt.date | None = None

    def in_force(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Drug:
    codes: tuple[DatedCode, ...]
    name: str
    ndc: str
    unit_of_measure: str  # ML, UN or MG
    mg_per_unit: int
    single_dose_container: bool = True  # JZ/JW apply to single-dose containers only

    def code_on(self, day: dt.date) -> str:
        for dated in self.codes:
            if dated.in_force(day):
                return dated.code
        raise ValueError(f"no code for {self.name} on {day}")

    def detail(self, dose_mg: int) -> DrugDetail:
        """Name, NDC and the NDC quantity of ``dose_mg`` (empty when the dose is unknown)."""
        if not dose_mg:
            return DrugDetail(self.name, self.ndc, self.unit_of_measure, "")
        quantity = (Decimal(dose_mg) / Decimal(self.mg_per_unit)).quantize(Decimal("0.001"))
        return DrugDetail(self.name, self.ndc, self.unit_of_measure, f"{quantity.normalize():f}")


@dataclass(frozen=True)
class PayerRules:
    spravato_bundled: bool
    drug_waste_modifiers: bool


@dataclass(frozen=True)
class CodingRules:
    """The rule set; see data/coding_rules.yaml for what each field means."""

    infusion_types: frozenset[str]
    first_hour: str
    additional_hour: str
    more_than_minutes_into_hour: int
    infusion_drug: str
    tms_types: frozenset[str]
    tms_initial: str
    tms_subsequent: str
    tms_motor_threshold: str
    evaluation_types: frozenset[str]
    evaluation_medical: str
    evaluation_non_medical: str
    medical_provider_types: frozenset[str]
    em_types: frozenset[str]
    em_by_level: dict[int, str]
    em_default_level: int
    spravato_types: frozenset[str]
    bundled_up_to: str
    bundled_above: str
    band_mg: int
    dose_of_reported_code: dict[str, int]
    spravato_drug: str
    drugs: dict[str, Drug]
    payers: dict[PayerKind, PayerRules]
    modalities: dict[str, str]  # appointment type -> the plan modality it treats

    def modality_of(self, appointment_type: str) -> str:
        return self.modalities.get(appointment_type, "")

    def drug_by_code(self, code: str) -> Drug | None:
        for drug in self.drugs.values():
            if any(dated.code == code for dated in drug.codes):
                return drug
        return None


@dataclass(frozen=True)
class Visit:
    """What billing knows of a completed visit. None means the visit did not report it."""

    appointment_type: str
    service_date: dt.date
    reported: tuple[LineItem, ...] = ()
    payer_kind: PayerKind = PayerKind.COMMERCIAL
    minutes: int | None = None
    dose_mg: int | None = None
    plan_minutes: int | None = None  # the plan's infusion length, when the visit has none
    plan_dose_mg: int | None = None  # the plan's dose, when the visit has none
    wasted_mg: int | None = None
    first_tms_session: bool | None = None
    motor_threshold_redetermination: bool = False
    provider_type: str = ""
    visit_level: int | None = None
    diagnosis_codes: tuple[str, ...] = field(default=())


def code_visit(visit: Visit, rules: CodingRules) -> list[LineItem]:
    """The lines to charge for ``visit``, each with the visit's diagnoses when it has none."""
    t = visit.appointment_type
    if t in rules.infusion_types:
        lines = _infusion(visit, rules)
    elif t in rules.tms_types:
        lines = [LineItem(_tms_code(visit, rules))]
    elif t in rules.evaluation_types:
        lines = [LineItem(_evaluation_code(visit, rules))]
    elif t in rules.em_types:
        lines = [LineItem(_em_code(visit, rules))]
    elif t in rules.spravato_types:
        lines = _spravato(visit, rules)
    else:
        lines = [coded for line in visit.reported for coded in _with_drug(line, visit, rules)]
    return [_with_diagnoses(line, visit.diagnosis_codes) for line in lines]


def infusion_hours(minutes: int, more_than: int) -> tuple[int, int]:
    """(first hour, additional hours) of an infusion of ``minutes``: an additional hour
    counts when the infusion runs more than ``more_than`` minutes into it."""
    if minutes <= 0:
        return 0, 0
    past_first = max(minutes - 60, 0)
    full, rest = divmod(past_first, 60)
    return 1, full + (1 if rest > more_than else 0)


def _infusion(visit: Visit, rules: CodingRules) -> list[LineItem]:
    lines = [LineItem(rules.first_hour)]
    minutes = visit.minutes if visit.minutes is not None else visit.plan_minutes
    if minutes is not None:
        _, extra = infusion_hours(minutes, rules.more_than_minutes_into_hour)
        if extra:
            lines.append(LineItem(rules.additional_hour, extra))
    drug = rules.drugs[rules.infusion_drug]
    dose = next((d for d in (visit.dose_mg, _reported_units(visit, drug), visit.plan_dose_mg)
                 if d), 0)
    return lines + _drug_lines(drug, dose, visit, rules)


def _tms_code(visit: Visit, rules: CodingRules) -> str:
    if visit.motor_threshold_redetermination:
        return rules.tms_motor_threshold
    return rules.tms_initial if visit.first_tms_session else rules.tms_subsequent


def _evaluation_code(visit: Visit, rules: CodingRules) -> str:
    if visit.provider_type:
        medical = visit.provider_type.upper() in rules.medical_provider_types
        return rules.evaluation_medical if medical else rules.evaluation_non_medical
    reported = [line.procedure_code for line in visit.reported
                if line.procedure_code in (rules.evaluation_medical, rules.evaluation_non_medical)]
    return reported[0] if reported else rules.evaluation_medical


def _em_code(visit: Visit, rules: CodingRules) -> str:
    level = visit.visit_level if visit.visit_level in rules.em_by_level else None
    return rules.em_by_level[level or rules.em_default_level]


def _spravato(visit: Visit, rules: CodingRules) -> list[LineItem]:
    dose = visit.dose_mg or _spravato_dose_without_report(visit, rules)
    if rules.payers[visit.payer_kind].spravato_bundled:
        return [LineItem(rules.bundled_up_to if dose <= rules.band_mg else rules.bundled_above)]
    drug = rules.drugs[rules.spravato_drug]
    return [LineItem(_em_code(visit, rules)), *_drug_lines(drug, dose, visit, rules)]


def _spravato_dose_without_report(visit: Visit, rules: CodingRules) -> int:
    """The plan's dose when it agrees with the band scheduling reported (G2082 up to 56 mg,
    G2083 above); else the band's usual dose; 56 mg when nothing is known."""
    bands = [line.procedure_code for line in visit.reported
             if line.procedure_code in rules.dose_of_reported_code]
    plan = visit.plan_dose_mg
    if not bands:
        return plan or rules.band_mg
    above = bands[0] == rules.bundled_above
    if plan and (plan > rules.band_mg) == above:
        return plan
    return rules.dose_of_reported_code[bands[0]]


def _drug_lines(drug: Drug, dose_mg: int, visit: Visit, rules: CodingRules) -> list[LineItem]:
    """The administered dose; where the payer asks and the drug comes in single-dose
    containers, JZ on it when nothing was discarded, or a second line of the discarded
    amount with JW. A dose not reported stays 0."""
    code = drug.code_on(visit.service_date)
    if not dose_mg:
        return [LineItem(code, 0, drug=drug.detail(0))]
    if not (rules.payers[visit.payer_kind].drug_waste_modifiers and drug.single_dose_container):
        return [LineItem(code, dose_mg, drug=drug.detail(dose_mg))]
    wasted = visit.wasted_mg if visit.wasted_mg is not None else \
        opened_but_not_given(dose_mg, drug.mg_per_unit)
    if not wasted:
        return [LineItem(code, dose_mg, ("JZ",), drug=drug.detail(dose_mg))]
    return [LineItem(code, dose_mg, drug=drug.detail(dose_mg)),
            LineItem(code, wasted, ("JW",), drug=drug.detail(wasted))]


def opened_but_not_given(dose_mg: int, mg_per_container: int) -> int:
    """The mg left in the single-dose containers a dose opened: what a visit that does not
    report its discarded amount discarded (84 mg from 28 mg devices: 0; 30 mg: 26)."""
    return -dose_mg % mg_per_container


def _with_drug(line: LineItem, visit: Visit, rules: CodingRules) -> list[LineItem]:
    drug = rules.drug_by_code(line.procedure_code)
    if drug is None or line.drug is not None:
        return [line]
    return [replace(coded, modifiers=line.modifiers or coded.modifiers)
            for coded in _drug_lines(drug, line.units, visit, rules)]


def _reported_units(visit: Visit, drug: Drug) -> int | None:
    codes = {dated.code for dated in drug.codes}
    units = [line.units for line in visit.reported if line.procedure_code in codes]
    return units[0] if units else None


def _with_diagnoses(line: LineItem, diagnoses: tuple[str, ...]) -> LineItem:
    return line if line.diagnosis_codes or not diagnoses else replace(line,
                                                                      diagnosis_codes=diagnoses)
