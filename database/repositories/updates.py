"""The one update shape several repositories share: set some fields and unset others of
one company's document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def set_and_unset(
    coll: Any, doc_id: str, company_id: str, set_fields: Mapping[str, Any], unset: Iterable[str] = ()
) -> int:
    """One ``update_one`` on the company's document; the number matched (0 or 1)."""
    update: dict[str, Any] = {"$set": dict(set_fields)}
    unset = list(unset)
    if unset:
        update["$unset"] = dict.fromkeys(unset, 1)
    return int(coll.update_one({"_id": doc_id, "company": company_id}, update).matched_count)
