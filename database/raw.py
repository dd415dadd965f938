"""Fast reads straight from the pymongo-compatible collection of a document class.

mongoengine's query sets cost ~100 us per query on the embedded store (clones, document
construction); hot paths read raw dictionaries instead. ``_id`` comes back as ``id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mongoengine import Document

from .embedded import shared_find


def collection(doc_cls: type[Document]) -> Any:
    return doc_cls._get_collection()


def projection_of(fields: Iterable[str] | None) -> dict[str, int] | None:
    if not fields:
        return None
    result = {("_id" if f == "id" else f): 1 for f in fields}
    result.setdefault("_id", 1)
    return result


def as_api(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    result = dict(doc)
    if "_id" in result:
        result["id"] = result.pop("_id")
    return result


def find_one(
    doc_cls: type[Document], query: Mapping[str, Any], fields: Iterable[str] | None = None
) -> dict[str, Any] | None:
    return as_api(collection(doc_cls).find_one(dict(query), projection_of(fields)))


def find_for_reading(coll: Any, query: dict[str, Any], projection: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents matching ``query`` with at least the ``projection``'s fields, to be
    read and never modified: the embedded store hands out its cached documents whole
    (no copy per document), MongoDB the projected ones."""
    shared = shared_find(coll, query)
    return list(coll.find(query, projection)) if shared is None else shared
