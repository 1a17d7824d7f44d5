"""Page sizes and opaque page tokens for List methods (AIP-158)."""

from __future__ import annotations

import base64
import json

from clinic_common.errors import FieldViolation

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(requested: int) -> int:
    if requested < 0:
        raise FieldViolation("page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_token(position: dict) -> str:
    """An opaque token for the key of the last item on a page."""
    return base64.urlsafe_b64encode(json.dumps(position, sort_keys=True).encode()).decode()


def decode_token(token: str) -> dict | None:
    """The position a token stands for, or None for the first page."""
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, UnicodeDecodeError):
        raise FieldViolation("page_token", "is not a token this service issued",
                             reason="INVALID_PAGE_TOKEN") from None
    if not isinstance(value, dict):
        raise FieldViolation("page_token", "is not a token this service issued",
                             reason="INVALID_PAGE_TOKEN")
    return value
