"""Page sizes and page tokens for List methods (AIP-158).

A token holds the sort key of the last item on its page and a digest of the
request it was issued for, page fields aside: the next request must repeat the
same parent and filters, or the token is refused (a token cannot widen a query or
be moved to another list).
Tokens are short and flat; anything else is INVALID_PAGE_TOKEN, never a crash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from clinic_common.errors import FieldViolation

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_TOKEN_LENGTH = 1024
MAX_KEY_PARTS = 8
MAX_KEY_TEXT = 256


@dataclass(frozen=True)
class PageRequest:
    """How many items to return, and the sort key to continue after (None: the start)."""

    size: int
    after: list | None


def page_size(requested: int) -> int:
    if requested < 0:
        raise FieldViolation("page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def page_request(request: Message) -> PageRequest:
    """The page a List request asks for, its token checked against the request."""
    return PageRequest(page_size(request.page_size),
                       decode_token(request.page_token, filters_digest(request)))


def next_page_token(next_key: Sequence[object] | None, request: Message) -> str:
    """The token for the page after the one ending at ``next_key`` ("" on the last page)."""
    if not next_key:
        return ""
    body = json.dumps({"after": list(next_key), "filter": filters_digest(request)},
                      separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def filters_digest(request: Message) -> str:
    """A digest of what a List request asks for, without its page size and token."""
    copy = type(request)()
    copy.CopyFrom(request)
    for name in ("page_size", "page_token"):
        if name in copy.DESCRIPTOR.fields_by_name:
            copy.ClearField(name)
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()[:16]


def decode_token(token: str, digest: str) -> list | None:
    """The sort key a token continues after, or None for the first page."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise _bad_token()
    try:
        raw = base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4))
        value = json.loads(raw)
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise _bad_token() from None
    if not isinstance(value, dict) or set(value) != {"after", "filter"}:
        raise _bad_token()
    after = value["after"]
    if not isinstance(after, list) or not 0 < len(after) <= MAX_KEY_PARTS or \
            not all(_scalar(v) for v in after):
        raise _bad_token()
    if value["filter"] != digest:
        raise FieldViolation("page_token", "was issued for other filters; repeat the filters "
                             "of the first request or start again without a token",
                             reason="INVALID_PAGE_TOKEN")
    return after


def _scalar(value) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_KEY_TEXT
    return value is None or isinstance(value, int | float) and not isinstance(value, bool)


def _bad_token() -> FieldViolation:
    return FieldViolation("page_token", "is not a token this service issued",
                          reason="INVALID_PAGE_TOKEN")
