"""Scroll ids of the paged event reads.

The reference hands out Elasticsearch scroll ids. Here a scroll id is an opaque,
self-contained cursor: the query it continues and the sort key of the last event
returned (keyset paging), so it works the same on both stores and never expires.
``"FFFF"`` is the reference's "nothing more" marker: returned with the first empty
page, and answered with an empty page when sent back.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ...protocol import errors

EXHAUSTED = "FFFF"


def encode(kind: str, scope: Any, after: Any) -> str:
    """A scroll id continuing the ``kind`` read over ``scope`` after ``after``."""
    payload = json.dumps({"k": kind, "s": scope, "a": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode(scroll_id: str, kind: str, scope: Any) -> Any:
    """The ``after`` value of a scroll id made by ``encode(kind, scope, ...)``; an id that
    is malformed or belongs to another read → 400/1104."""
    try:
        padded = scroll_id + "=" * (-len(scroll_id) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except (ValueError, binascii.Error, UnicodeError):
        raise errors.INVALID_SCROLL_ID(scroll_id=scroll_id) from None
    if payload.get("k") != kind or payload.get("s") != scope:
        raise errors.INVALID_SCROLL_ID("the scroll id belongs to another query", scroll_id=scroll_id)
    return payload.get("a")
