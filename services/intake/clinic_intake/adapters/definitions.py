"""Loading intake's data files: instrument definitions, the contraindication rule set and
the dosing protocols."""

from __future__ import annotations

from pathlib import Path

import yaml

from clinic_intake.domain.contraindication_rules import rule_set_from
from clinic_intake.domain.contraindications import RuleSet
from clinic_intake.domain.instrument_definitions import InstrumentRegistry, instrument_from
from clinic_intake.domain.instruments import DefinitionError
from clinic_intake.domain.protocol_definitions import protocol_set_from
from clinic_intake.domain.protocols import ProtocolSet

PACKAGE = Path(__file__).resolve().parent.parent
INSTRUMENTS = PACKAGE / "instruments"


def _yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: expected a mapping at the top")
    return data


def load_instruments(extra_dir: Path | None = None) -> InstrumentRegistry:
    """The packaged instruments, then those of ``extra_dir`` (same code replaces)."""
    folders = [INSTRUMENTS, *([Path(extra_dir)] if extra_dir else [])]
    found = {}
    for folder in folders:
        if not folder.is_dir():
            raise DefinitionError(f"{folder}: no such folder of instrument definitions")
        for path in sorted(folder.glob("*.yaml")):
            instrument = instrument_from(_yaml(path), str(path))
            found[instrument.code] = instrument
    return InstrumentRegistry(list(found.values()))


RULES = PACKAGE / "policies" / "contraindications.yaml"


def load_rules(path: Path | None = None) -> RuleSet:
    """The contraindication rule set: the packaged file, or the one at ``path``."""
    source = Path(path) if path else RULES
    return rule_set_from(_yaml(source), str(source))


PROTOCOLS = PACKAGE / "policies" / "dosing_protocols.yaml"


def load_protocols(path: Path | None = None) -> ProtocolSet:
    """The dosing protocols: the packaged file, or the one at ``path``."""
    source = Path(path) if path else PROTOCOLS
    return protocol_set_from(_yaml(source), str(source))
