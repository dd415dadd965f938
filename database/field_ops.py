"""Field updates (``$set``/``$min``/``$max`` of dotted paths) without mongomock's update
on the embedded store: the task statistics every event batch writes (issue 24).

mongomock's ``update_one`` deep-copies the stored document, checks it and applies each
field through generic code, all under the process-wide store lock, for every batch of
events. ``update_fields`` applies the same update under that lock to a copy of the
document that copies only the objects on the updated paths, writes it and leaves it in
the store's cache (as ``queue_ops`` does for queues).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import embedded


def update_fields(coll: Any, doc_id: str, company_id: str, update: dict[str, Any]) -> None:
    """``update_one({_id, company}, update)`` for an update made of ``$set``, ``$min`` and
    ``$max`` of dotted paths (the task statistics of each event batch, issue 24). On the
    embedded store it is applied under the store lock to a copy of the stored document
    that copies only the objects on the updated paths, instead of mongomock's update
    (which deep-copies and checks the whole document); anything this does not model —
    another operator, a path through a value that is not an object, ``$min``/``$max``
    over a value that is not a number — takes mongomock's update, as on MongoDB."""
    store = embedded.store_of(coll)
    if store is None or not update.keys() <= {"$set", "$min", "$max"}:
        coll.update_one({"_id": doc_id, "company": company_id}, update)
        return
    with embedded.LOCK:
        try:
            doc = store[doc_id]
        except KeyError:
            return
        if doc.get("company") != company_id:
            return
        documents = embedded.cached_documents(store)
        changed = _apply_fields(doc, update, documents.as_stored if documents is not None else _same)
        if changed is None:
            coll.update_one({"_id": doc_id, "company": company_id}, update)
            return
        store[doc_id] = changed
        if documents is not None:
            documents.keep(doc_id, changed)


def _same(value: Any) -> Any:
    return value


_PLAIN = (str, int, float, bool, type(None))


def _apply_fields(doc: dict[str, Any], update: dict[str, Any], stored: Callable[[Any], Any]) -> dict[str, Any] | None:
    """A new document: ``doc`` with the update applied, sharing every object the update
    does not touch; None for what only the general update handles."""
    result = dict(doc)
    copied = {id(result)}
    for operator, fields in update.items():
        for path, value in fields.items():
            parts = path.split(".")
            node = result
            for part in parts[:-1]:
                child = node.get(part)
                if child is None and part not in node:
                    child = {}
                elif type(child) is not dict:
                    return None
                if id(child) not in copied:
                    child = dict(child)
                    copied.add(id(child))
                node[part] = child
                node = child
            leaf = parts[-1]
            if type(value) not in _PLAIN:
                value = stored(value)
            if operator == "$set" or leaf not in node:
                node[leaf] = value
                continue
            current = node[leaf]
            if not (_is_number(current) and _is_number(value)):
                return None
            if (operator == "$min" and value < current) or (operator == "$max" and value > current):
                node[leaf] = value
    return result


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)
