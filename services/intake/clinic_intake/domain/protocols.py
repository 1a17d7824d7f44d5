"""Dosing protocols: how a modality is dosed for an indication, with the protocol's own caps.

Protocols are data (``policies/dosing_protocols.yaml``). A plan follows the one protocol
whose modality and indications cover the plan's; where several do, the provider names one.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from clinic_intake.domain import errors, icd10cm

_matcher = functools.cache(icd10cm.code_matcher)


class DoseRule(enum.StrEnum):
    WEIGHT_BOLUS = "weight_bolus"  # mg/kg, infused over the duration
    WEIGHT_RATE = "weight_rate"  # mg/kg/h, for the duration
    FIXED = "fixed"  # one of a list of doses, in mg
    NONE = "none"  # the modality is not dosed

    @property
    def weighted(self) -> bool:
        return self in (DoseRule.WEIGHT_BOLUS, DoseRule.WEIGHT_RATE)


@dataclass(frozen=True)
class Caps:
    """The most a dose under the protocol may be; None: no such cap."""

    max_mg_per_kg: Decimal | None = None
    max_dose_mg: Decimal | None = None
    max_mg_per_kg_per_hour: Decimal | None = None


@dataclass(frozen=True)
class Indications:
    """ICD-10-CM codes: prefixes ("F33") or ranges of them ("G56-G58"), less exclusions."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def covers(self, code: str) -> bool:
        """As the contraindication rules read codes (icd10cm.code_matcher, dot optional)."""
        code = icd10cm.undotted(code)
        return any(_matcher(p)(code) for p in self.include) and \
            not any(_matcher(p)(code) for p in self.exclude)


@dataclass(frozen=True)
class Protocol:
    """One dosing protocol. Durations are in minutes; 0 means the modality has none."""

    protocol_id: str
    title: str
    modality: str
    indications: Indications
    rule: DoseRule
    source: str
    mg_per_kg: Decimal | None = None
    mg_per_kg_per_hour: Decimal | None = None
    duration_minutes: int = 0
    min_duration_minutes: int = 0
    max_duration_minutes: int = 0
    doses_mg: tuple[int, ...] = ()
    first_dose_mg: int | None = None
    caps: Caps = field(default_factory=Caps)

    def duration(self, requested: int) -> int:
        """The requested infusion duration (0: the protocol's default), within its range."""
        if not self.rule.weighted:
            if requested:
                raise errors.field("plan.dose.duration_minutes",
                                   f"is not set under {self.protocol_id} ({self.rule} dose)")
            return 0
        minutes = requested or self.duration_minutes
        if not self.min_duration_minutes <= minutes <= self.max_duration_minutes:
            raise errors.Refused(
                "DURATION_OUT_OF_RANGE", f"{self.protocol_id} infuses over "
                f"{self.min_duration_minutes} to {self.max_duration_minutes} minutes, "
                f"not {minutes}", protocol=self.protocol_id,
                min_duration_minutes=self.min_duration_minutes,
                max_duration_minutes=self.max_duration_minutes)
        return minutes

    def per_kg(self, minutes: int) -> Decimal:
        """The session's mg per kg under the protocol's rule, for a weighted rule."""
        if self.rule == DoseRule.WEIGHT_RATE:
            return self.mg_per_kg_per_hour * minutes / 60
        return self.mg_per_kg


class ProtocolSet:
    """The clinic's protocols, and the choice of one for a plan."""

    def __init__(self, protocols: list[Protocol] | tuple[Protocol, ...]):
        self.protocols = tuple(protocols)
        self._by_id = {p.protocol_id: p for p in self.protocols}
        if len(self._by_id) != len(self.protocols):
            raise ValueError("protocol ids must be unique")

    def get(self, protocol_id: str) -> Protocol | None:
        return self._by_id.get(protocol_id)

    def for_modality(self, modality: str) -> list[str]:
        return [p.protocol_id for p in self.protocols if p.modality == modality]

    def covering(self, modality: str, code: str) -> list[Protocol]:
        return [p for p in self.protocols
                if p.modality == modality and p.indications.covers(code)]

    def choose(self, modality: str, code: str, requested: str = "") -> Protocol:
        """The protocol named (it must cover the plan), or the only one that covers it."""
        covering = self.covering(modality, code)
        names = ", ".join(p.protocol_id for p in covering)
        if requested:
            return self._named(modality, code, requested, covering, names)
        if len(covering) == 1:
            return covering[0]
        if not covering:
            raise errors.Refused(
                "NO_PROTOCOL", f"no {modality} dosing protocol covers {code}; the "
                f"{modality} protocols are {', '.join(self.for_modality(modality)) or 'none'}",
                modality=modality, indication_code=code)
        raise errors.field("plan.protocol", f"several {modality} protocols cover {code}: "
                           f"name one of {names}", reason="PROTOCOL_REQUIRED")

    def _named(self, modality: str, code: str, requested: str, covering: list[Protocol],
               names: str) -> Protocol:
        protocol = self.get(requested.strip())
        if protocol is None or protocol.modality != modality:
            raise errors.field("plan.protocol", f"{requested!r} is not a {modality} protocol; "
                               f"one of {', '.join(self.for_modality(modality))}",
                               reason="UNKNOWN_PROTOCOL")
        if protocol not in covering:
            raise errors.Refused(
                "PROTOCOL_NOT_FOR_INDICATION", f"{protocol.protocol_id} does not cover {code}; "
                f"the {modality} protocols that do: {names or 'none'}",
                protocol=protocol.protocol_id, indication_code=code, covering=names)
        return protocol
