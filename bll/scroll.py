"""Scrolled listings of documents (get_all / get_all_ex 2.15: ``size``, ``scroll_id``,
``refresh_scroll``).

The scroll id carries how many documents the scroll has returned, so that the server
keeps no state for it: any API process continues any scroll, and an abandoned scroll
costs nothing. The next call reads the query again from that offset (documents created
meanwhile may shift the pages, as with page / page_size).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..protocol import errors

DEFAULT_SIZE = 500
_MAX = 2**62  # MongoDB's skip and limit are 64-bit
_PREFIX = "offset-"


@dataclass(frozen=True)
class Scroll:
    offset: int
    size: int
    refresh: bool

    @classmethod
    def of(cls, request: Mapping[str, Any]) -> Scroll | None:
        """The scroll a request asks for (None: it sends neither size nor scroll_id)."""
        scroll_id, size = request.get("scroll_id"), request.get("size")
        if not scroll_id and size is None:
            return None
        offset = 0
        if scroll_id:
            text = str(scroll_id)
            digits = text[len(_PREFIX) :] if text.startswith(_PREFIX) else ""
            if not digits.isdigit() or len(digits) > 18:  # a skip MongoDB takes (< 2**63)
                raise errors.INVALID_SCROLL_ID(scroll_id=scroll_id)
            offset = int(digits)
        return cls(offset, min(int(size), _MAX) if size else DEFAULT_SIZE, bool(request.get("refresh_scroll")))

    @staticmethod
    def ordered(request: Mapping[str, Any]) -> dict[str, Any]:
        """The request ordered by its ``order_by`` and then by id: each page of a scroll
        is read by its own query, so ties must not change places between two calls."""
        order = request.get("order_by") or []
        order = [order] if isinstance(order, str) else list(order)
        if not any(str(f).lstrip("-+") == "id" for f in order):
            order.append("id")
        return {**request, "order_by": order}

    @property
    def window(self) -> tuple[int, int]:
        """(skip, limit) of the call: with ``refresh``, everything returned so far again."""
        return (0, min(self.offset + self.size, _MAX)) if self.refresh else (self.offset, self.size)

    def next_id(self, returned: int) -> str:
        """The scroll id of the call after one that answered ``returned`` documents."""
        start = 0 if self.refresh else self.offset
        return f"{_PREFIX}{start + returned}"
