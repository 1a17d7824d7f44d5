"""Keeping an aggregate's child rows in step with what a caller wants."""

from __future__ import annotations

from collections.abc import Callable


def sync(current: list, wanted: list, *, key: Callable, copied: tuple[str, ...] = ()) -> bool:
    """Make a child list hold ``wanted`` in place, so unchanged rows stay untouched."""
    existing = {key(child): child for child in current}
    wanted_by_key = {key(child): child for child in wanted}
    changed = False
    for child in list(current):
        if key(child) not in wanted_by_key:
            current.remove(child)
            changed = True
    for child_key, new in wanted_by_key.items():
        old = existing.get(child_key)
        if old is None:
            current.append(new)
            changed = True
            continue
        for name in copied:
            if getattr(old, name) != getattr(new, name):
                setattr(old, name, getattr(new, name))
                changed = True
    return changed
