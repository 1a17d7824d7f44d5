"""Reading the coding rules from their YAML file (data/coding_rules.yaml by default)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from clinic_billing.domain.coding import CodingRules, DatedCode, Drug, PayerKind, PayerRules

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "coding_rules.yaml"


class CodingRulesError(ValueError):
    """The coding rules file is missing, malformed or incomplete: the service does not start."""


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _drug(data: dict) -> Drug:
    ndc = str(data["ndc"])
    if [len(part) for part in ndc.split("-")] != [5, 4, 2]:
        raise CodingRulesError(f"NDC {ndc!r} is not 11 digits as 5-4-2")
    if data["unit_of_measure"] not in ("ML", "UN", "MG"):
        raise CodingRulesError(f"unit of measure {data['unit_of_measure']!r} is not ML, UN or MG")
    if not isinstance(data["single_dose_container"], bool):
        raise CodingRulesError("single_dose_container is true or false")
    return Drug(codes=tuple(DatedCode(str(c["code"]), _day(c.get("from")), _day(c.get("to")))
                            for c in data["codes"]),
                name=str(data["name"]), ndc=ndc, unit_of_measure=data["unit_of_measure"],
                mg_per_unit=int(data["mg_per_unit"]),
                single_dose_container=data["single_dose_container"])


def rules_from(data: dict) -> CodingRules:
    """The rule set of a parsed file; a missing key is a CodingRulesError."""
    try:
        inf, tms, ev, em, sp = (data[k] for k in (
            "infusion", "tms", "evaluation", "evaluation_and_management", "spravato"))
        drugs = {name: _drug(d) for name, d in data["drugs"].items()}
        payers = {PayerKind(kind): PayerRules(p["spravato"] == "BUNDLED",
                                              bool(p["drug_waste_modifiers"]))
                  for kind, p in data["payer_kinds"].items()}
        rules = CodingRules(
            infusion_types=frozenset(inf["appointment_types"]), first_hour=inf["first_hour"],
            additional_hour=inf["additional_hour"],
            more_than_minutes_into_hour=int(inf["more_than_minutes_into_hour"]),
            infusion_drug=inf["drug"],
            tms_types=frozenset(tms["appointment_types"]), tms_initial=tms["initial_with_mapping"],
            tms_subsequent=tms["subsequent"],
            tms_motor_threshold=tms["motor_threshold_redetermination"],
            evaluation_types=frozenset(ev["appointment_types"]),
            evaluation_medical=ev["with_medical_services"],
            evaluation_non_medical=ev["without_medical_services"],
            medical_provider_types=frozenset(ev["medical_provider_types"]),
            em_types=frozenset(em["appointment_types"]),
            em_by_level={int(k): str(v) for k, v in em["by_level"].items()},
            em_default_level=int(em["default_level"]),
            spravato_types=frozenset(sp["appointment_types"]), bundled_up_to=sp["bundled_up_to"],
            bundled_above=sp["bundled_above"], band_mg=int(sp["band_mg"]),
            dose_of_reported_code={str(k): int(v) for k, v in sp["dose_of_reported_code"].items()},
            spravato_drug=sp["drug"], drugs=drugs, payers=payers,
            modalities={t: section["modality"] for section in (inf, tms, sp)
                        for t in section["appointment_types"]})
    except (KeyError, TypeError, ValueError) as exc:
        raise CodingRulesError(f"coding rules: {exc!r}") from None
    missing = set(PayerKind) - set(payers)
    if missing or rules.infusion_drug not in drugs or rules.spravato_drug not in drugs:
        raise CodingRulesError(f"coding rules: incomplete (payer kinds missing: {sorted(missing)})")
    return rules


def load(path: Path | None = None) -> CodingRules:
    try:
        data = yaml.safe_load(Path(path or DEFAULT_PATH).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CodingRulesError(f"{path or DEFAULT_PATH}: {exc}") from None
    if not isinstance(data, dict):
        raise CodingRulesError("coding rules: expected a mapping at the top")
    return rules_from(data)
