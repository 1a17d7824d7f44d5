"""Reading an instrument definition (plain data, as loaded from YAML) into an Instrument."""

from __future__ import annotations

from clinic_intake.domain import errors
from clinic_intake.domain.instruments import (
    SCORINGS,
    Band,
    DefinitionError,
    FlagRule,
    Instrument,
)


def _require(data: dict, key: str, where: str):
    if key not in data:
        raise DefinitionError(f"{where}: {key!r} is missing")
    return data[key]


def _check_bands(instrument: Instrument, where: str) -> None:
    """Bands must cover every total from the lowest to the highest, once, in order."""
    expected = instrument.item_count * instrument.item_min
    for band in instrument.bands:
        if band.low != expected or band.high < band.low:
            raise DefinitionError(f"{where}: bands must run on from {expected} without gaps")
        expected = band.high + 1
    if expected != instrument.max_total + 1:
        raise DefinitionError(f"{where}: bands must end at the highest total "
                              f"{instrument.max_total}")


def instrument_from(data: dict, where: str = "definition") -> Instrument:
    """An Instrument from its definition, or DefinitionError naming what is wrong."""
    try:
        items = _require(data, "items", where)
        instrument = Instrument(
            code=str(_require(data, "code", where)), title=str(data.get("title", "")),
            item_count=int(items["count"]), item_min=int(items["min"]),
            item_max=int(items["max"]),
            bands=tuple(Band(int(b["min"]), int(b["max"]), str(b["label"]))
                        for b in _require(data, "bands", where)),
            flags=tuple(FlagRule(str(f["kind"]), int(f["item"]), int(f["above"]))
                        for f in data.get("flags") or ()),
            remission_below=None if data.get("remission_below") is None
            else int(data["remission_below"]),
            scoring=str(data.get("scoring", "sum")))
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(f"{where}: {exc}") from None
    if instrument.scoring not in SCORINGS:
        raise DefinitionError(f"{where}: scoring {instrument.scoring!r} is not one of "
                              f"{sorted(SCORINGS)}")
    if instrument.item_count < 1 or instrument.item_max <= instrument.item_min:
        raise DefinitionError(f"{where}: items need a count and a range")
    _check_bands(instrument, where)
    for flag in instrument.flags:
        if not 1 <= flag.item <= instrument.item_count:
            raise DefinitionError(f"{where}: flag {flag.kind} names no item {flag.item}")
    return instrument


class InstrumentRegistry:
    """The instruments the service scores, by code."""

    def __init__(self, instruments: list[Instrument]):
        self._by_code = {i.code: i for i in instruments}

    def get(self, code: str, field: str = "screening.instrument") -> Instrument:
        if code not in self._by_code:
            raise errors.field(field,
                               f"{code!r} is not one of {', '.join(self.codes())}",
                               reason="UNKNOWN_INSTRUMENT")
        return self._by_code[code]

    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def all(self) -> list[Instrument]:
        return [self._by_code[c] for c in self.codes()]
