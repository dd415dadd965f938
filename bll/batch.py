"""Batch actions (``*_many``, API 2.13): one operation per id, each succeeding or
failing on its own, answered as the reference answers them: ``succeeded`` with each id's
result, ``failed`` with each id's error ``{codes: [code, subcode], msg, data}``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..protocol.errors import ApiError


def run_batch(operation: Callable[[str], dict[str, Any]], ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """``operation(id)`` for each distinct id in order; an ``ApiError`` fails that id
    alone (any other exception is a server error and ends the call)."""
    succeeded: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for obj_id in dict.fromkeys(ids):
        try:
            succeeded.append({"id": obj_id, **operation(obj_id)})
        except ApiError as exc:
            failed.append({"id": obj_id, "error": {"codes": [exc.code, exc.subcode], "msg": exc.msg, "data": exc.data}})
    return {"succeeded": succeeded, "failed": failed}
