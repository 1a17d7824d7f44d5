"""Resource names (AIP-122): ``patients/{patient}/consents/{consent}`` and the like.

Each service declares its names once as :class:`Name` patterns and parses and
formats through them; a malformed name is an INVALID_ARGUMENT naming the field
and the expected shape.
"""

from __future__ import annotations

import re

from clinic_common.errors import FieldViolation

ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
WILDCARD = "-"
_VARIABLE = re.compile(r"\{([a-z_]+)\}")


class Name:
    """A resource name pattern of alternating collections and ids."""

    def __init__(self, pattern: str, *, wildcard: bool = False):
        parts = pattern.split("/")
        if len(parts) % 2 or not all(_VARIABLE.fullmatch(p) for p in parts[1::2]):
            raise ValueError(f"not a resource name pattern: {pattern}")
        self.pattern = pattern
        self.collections = parts[0::2]
        self.variables = [_VARIABLE.fullmatch(p).group(1) for p in parts[1::2]]
        # Whether the first id may be "-", meaning every parent (AIP-159), in lists.
        self.wildcard = wildcard

    def parse(self, name: str, field: str = "name") -> tuple[str, ...]:
        """The ids in ``name``; FieldViolation when it does not fit the pattern."""
        parts = name.split("/")
        if len(parts) != 2 * len(self.collections) or parts[0::2] != self.collections:
            raise self._bad(name, field)
        ids = parts[1::2]
        for i, value in enumerate(ids):
            if not ID.fullmatch(value) or (value == WILDCARD and not (self.wildcard and i == 0)):
                raise self._bad(name, field)
        return tuple(ids)

    def parse_one(self, name: str, field: str = "name") -> str:
        """The last id in ``name``: for names of one level, the only one."""
        return self.parse(name, field)[-1]

    def format(self, *ids: str) -> str:
        if len(ids) != len(self.collections):
            raise ValueError(f"{self.pattern} takes {len(self.collections)} ids")
        return "/".join(f"{c}/{i}" for c, i in zip(self.collections, ids, strict=True))

    def matches(self, name: str) -> bool:
        try:
            self.parse(name)
        except FieldViolation:
            return False
        return True

    def _bad(self, name: str, field: str) -> FieldViolation:
        shown = name if len(name) <= 80 else name[:80] + "..."
        return FieldViolation(field, f"must look like {self.pattern}, got {shown!r}")


def check_id(value: str, field: str) -> str:
    """A bare id in a request field (``patient_id``, ``location_id``)."""
    if not ID.fullmatch(value or "") or value == WILDCARD:
        raise FieldViolation(field, "must be an id of 1-64 letters, digits, '_', '.' or '-'")
    return value
