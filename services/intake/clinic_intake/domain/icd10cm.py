"""ICD-10-CM codes checked against the code set itself (the simple-icd-10-cm package).

Only billable codes (the leaves of the tabular list) go on a record or a claim: a
category such as F43.1 is refused with the codes beneath it that would do. Loading the
code set takes a second or two, so it happens once, on first use (the service warms it
at start with :func:`load`).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import deque

from clinic_intake.domain import errors

# What a code may look like, with or without its dot: a letter, two characters, then up to
# four more. Anything else (a block such as F30-F39, a chapter number) is not asked about.
SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
SUGGESTIONS = 4


@functools.cache
def _code_set():
    # The whole tabular list is parsed on import: once per process. The package reads its
    # data with a deprecated importlib call; that is its business, not the service log's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


def load() -> None:
    """Load the code set now rather than on the first request that needs it."""
    _code_set()


def undotted(code: str) -> str:
    """A code without its dot, upper case: how codes compare (F43.10 -> F4310)."""
    return (code or "").strip().upper().replace(".", "")


# A code or prefix as a rule or protocol names it: a letter, then up to six characters.
CODE_PREFIX = re.compile(r"^[A-Z]([0-9][0-9A-Z]{0,5})?$")


def _prefix(text: str) -> str:
    code = undotted(text)
    if not CODE_PREFIX.match(code):
        raise ValueError(f"{text!r} is not an ICD-10-CM code, prefix or range")
    return code


def code_matcher(spec: str):
    """A predicate on undotted codes for ``spec``: a prefix (F33 takes F33.2 and F33.41) or
    an inclusive range of prefixes (Q28.0-Q28.3 takes Q28.0 to Q28.39, not Q28.8).
    A malformed spec is a ValueError (a rule or protocol file that stops the service)."""
    low, _, high = spec.partition("-")
    low = _prefix(low)
    if not high:
        return lambda code: code.startswith(low)
    high = _prefix(high)
    if high < low:
        raise ValueError(f"range {spec!r} ends before it begins")
    # Codes compare character by character (F32.9 < F32.A, as the code set orders them); a
    # code is in the range when its leading characters are, so I69.198 is in I69.10-I69.19.
    return lambda code: low <= code[:len(low)] and code[:len(high)] <= high


def _known(value: str) -> str | None:
    """The code in its dotted form if the code set has it, else None."""
    code = (value or "").strip().upper()
    if not SHAPE.match(code):
        return None
    cm = _code_set()
    if not cm.is_valid_item(code):
        return None
    return cm.add_dot(cm.remove_dot(code))


def _billable_beneath(code: str) -> list[str]:
    """The nearest billable codes beneath ``code``, nearest first, the first few."""
    cm, found = _code_set(), []
    queue = deque(cm.get_children(code))
    while queue and len(found) < SUGGESTIONS:
        child = queue.popleft()
        if cm.is_leaf(child):
            found.append(child)
        else:
            queue.extend(cm.get_children(child))
    return found


def billable(value: str, field: str) -> str:
    """The billable ICD-10-CM code, dotted (F4310 -> F43.10); refused as INVALID_ARGUMENT."""
    code = _known(value)
    if code is None:
        shown = (value or "").strip()[:20]
        raise errors.field(field, f"{shown!r} is not an ICD-10-CM code" if shown else
                           "is required: an ICD-10-CM code such as F33.2")
    if not _code_set().is_leaf(code):
        raise errors.field(field, f"{code} is not billable; use a more specific code such as "
                           f"{', '.join(_billable_beneath(code))}")
    return code


def description(code: str) -> str:
    """The code set's description of ``code``, or "" for a code it does not have."""
    known = _known(code)
    return _code_set().get_description(known) if known else ""
