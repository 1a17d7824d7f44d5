"""Reading dosing protocols from plain data (the YAML file), checked whole at start."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from clinic_intake.domain import icd10cm
from clinic_intake.domain.instruments import DefinitionError
from clinic_intake.domain.protocols import Caps, DoseRule, Indications, Protocol, ProtocolSet

MODALITIES = frozenset({"IV_KETAMINE", "SPRAVATO", "TMS"})
CAPS = ("max_mg_per_kg", "max_dose_mg", "max_mg_per_kg_per_hour")


def _decimal(value, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DefinitionError(f"{where}: {value!r} is not a number") from None
    if not number > 0:
        raise DefinitionError(f"{where}: must be above zero")
    return number


def _codes(values, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise DefinitionError(f"{where}: give a list of ICD-10-CM code prefixes or ranges")
    for value in values:
        icd10cm.code_matcher(value)  # a malformed prefix or range is a ValueError
    return tuple(v.strip().upper() for v in values)


def _dose(data: dict, where: str) -> dict:
    rule = DoseRule(data.get("rule", ""))
    dose = {"rule": rule, "mg_per_kg": _decimal(data.get("mg_per_kg"), f"{where}.mg_per_kg"),
            "mg_per_kg_per_hour": _decimal(data.get("mg_per_kg_per_hour"),
                                           f"{where}.mg_per_kg_per_hour")}
    if rule.weighted:
        dose["duration_minutes"] = int(data["duration_minutes"])
        low, high = data.get("duration_range_minutes", [dose["duration_minutes"]] * 2)
        dose["min_duration_minutes"], dose["max_duration_minutes"] = int(low), int(high)
        needed = "mg_per_kg" if rule == DoseRule.WEIGHT_BOLUS else "mg_per_kg_per_hour"
        if dose[needed] is None:
            raise DefinitionError(f"{where}: a {rule} dose needs {needed}")
        if not 0 < low <= dose["duration_minutes"] <= high:
            raise DefinitionError(f"{where}: duration_minutes must be within "
                                  "duration_range_minutes, above zero")
    if rule == DoseRule.FIXED:
        dose["doses_mg"] = tuple(int(mg) for mg in data.get("doses_mg") or ())
        dose["first_dose_mg"] = data.get("first_dose_mg")
        if not dose["doses_mg"] or dose["first_dose_mg"] not in (None, *dose["doses_mg"]):
            raise DefinitionError(f"{where}: a fixed dose needs doses_mg, and first_dose_mg "
                                  "must be one of them")
    return dose


def _consistent(protocol: Protocol, where: str) -> None:
    """The protocol's own doses, at its default duration, must be within its caps."""
    caps = protocol.caps
    over = caps.max_dose_mg is not None and max(protocol.doses_mg or [0]) > caps.max_dose_mg
    if protocol.rule == DoseRule.FIXED and (
            caps.max_mg_per_kg or caps.max_mg_per_kg_per_hour or over):
        raise DefinitionError(f"{where}: a fixed dose takes only max_dose_mg, at or above "
                              "its doses")
    if not protocol.rule.weighted:
        return
    minutes = protocol.duration_minutes
    per_kg = protocol.per_kg(minutes)
    for cap, value in (("max_mg_per_kg", per_kg),
                       ("max_mg_per_kg_per_hour", per_kg * 60 / minutes)):
        limit = getattr(caps, cap)
        if limit is not None and value > limit:
            raise DefinitionError(f"{where}: the protocol's own dose is above its {cap}")


def protocol_from(data: dict, where: str) -> Protocol:
    try:
        modality = data["modality"]
        if modality not in MODALITIES:
            raise DefinitionError(f"{where}: modality must be one of {sorted(MODALITIES)}")
        indications = data["indications"]
        caps = data.get("caps") or {}
        unknown = set(caps) - set(CAPS)
        if unknown:
            raise DefinitionError(f"{where}: unknown caps {sorted(unknown)}; known: {CAPS}")
        protocol = Protocol(
            protocol_id=str(data["id"]), title=str(data["title"]), modality=modality,
            indications=Indications(_codes(indications["include"], f"{where}.include"),
                                    _codes(indications.get("exclude", []),
                                           f"{where}.exclude")),
            source=str(data["source"]), **_dose(data["dose"], f"{where}.dose"),
            caps=Caps(**{k: _decimal(v, f"{where}.caps.{k}") for k, v in caps.items()}))
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(f"{where}: {exc.__class__.__name__}: {exc}") from None
    _consistent(protocol, where)
    return protocol


def protocol_set_from(data: dict, source: str) -> ProtocolSet:
    """The protocols of a file; a malformed one stops the service at start."""
    items = data.get("protocols")
    if not isinstance(items, list) or not items:
        raise DefinitionError(f"{source}: expected a list of protocols")
    protocols = [protocol_from(item, f"{source}: protocol {item.get('id', i)}")
                 for i, item in enumerate(items)]
    try:
        return ProtocolSet(protocols)
    except ValueError as exc:
        raise DefinitionError(f"{source}: {exc}") from None
