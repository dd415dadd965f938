"""Atomic changes of a queue's ``entries``: pop the head, append, insert, pull a task.

On a document server (MongoDB, FerretDB) each runs under the queue's Redis lock
(``database/document_locks.py``: FerretDB 1.24 makes no conditional write atomic, so two
pollers would get one head). The pop is then one ``find_one_and_update`` with ``$pop``;
the others are a compare-and-set — read the queue, change the list, write it with the
list read in the filter — not ``$push`` with a ``{"entries.task": {"$ne": ...}}``
condition or ``$pull`` with a query: FerretDB 1.24 ignores that condition and pulls
only equal elements. (On MongoDB the compare-and-set alone would do; the lock also
keeps its readers from racing each other into retries.) The embedded
store answers the same calls through its vendored mongomock, which deep-copies the
whole document twice per update: about 10 ms or more with 1,000 entries. Because every
embedded operation already runs under the process-wide store lock (``embedded.LOCK``),
the embedded path reads the stored document, changes the list and writes it back
under that lock instead: the same atomic conditional read-modify-write on the same
document shape, without the copies (about 0.7 ms with 1,000 entries; see
``bench/queues.py``).

Every function returns None when no queue has this id in this company, or when its
condition does not hold (the caller tells the two apart).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from . import document_locks, embedded

Entries = list[dict[str, Any]]


def pop_head(coll: Any, queue_id: str, company_id: str, now: datetime) -> dict[str, Any] | None:
    """The queue document as it was before its first entry was removed (and
    ``last_update`` set)."""
    store = embedded.store_of(coll)

    def pop(entries: Entries) -> Entries | None:
        return entries[1:]  # an empty queue too: last_update is set, as $pop does

    if store is None:
        with document_locks.hold(_lock_name(coll, queue_id)):
            doc: dict[str, Any] | None = coll.find_one_and_update(
                {"_id": queue_id, "company": company_id}, {"$pop": {"entries": -1}, "$set": {"last_update": now}}
            )
        return doc
    result = _modify(store, queue_id, company_id, now, pop)
    return result[0] if result else None


def push_entry(
    coll: Any, queue_id: str, company_id: str, entry: dict[str, Any], now: datetime, position: int = -1
) -> dict[str, Any] | None:
    """Insert ``entry`` at ``position`` (-1: the end) unless its task is already
    queued; the document afterwards."""
    store = embedded.store_of(coll)
    task = entry["task"]

    def insert(entries: Entries) -> Entries | None:
        if any(e.get("task") == task for e in entries):
            return None
        at = len(entries) if position < 0 else position
        return [*entries[:at], entry, *entries[at:]]

    if store is None and position < 0:
        return _append(coll, queue_id, company_id, entry, now)
    if store is None:  # compare-and-set: FerretDB 1.24 ignores {"entries.task": {"$ne": ...}}
        found = _compare_and_set(coll, queue_id, company_id, now, insert)
        return found[1] if found else None
    result = _modify(store, queue_id, company_id, now, insert, added=entry)
    return result[1] if result else None


def pull_task(coll: Any, queue_id: str, company_id: str, task_id: str, now: datetime) -> dict[str, Any] | None:
    """Remove every entry of the task if it is queued; the document before."""
    store = embedded.store_of(coll)

    def pull(entries: Entries) -> Entries | None:
        kept = [e for e in entries if e.get("task") != task_id]
        return kept if len(kept) < len(entries) else None

    if store is None:
        # not ``$pull`` with a condition: FerretDB 1.24 pulls only elements equal to it
        found = _compare_and_set(coll, queue_id, company_id, now, pull)
        return found[0] if found else None
    result = _modify(store, queue_id, company_id, now, pull)
    return result[0] if result else None


def _append(coll: Any, queue_id: str, company_id: str, entry: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """Append on a document server, under the queue's lock: is the task there (a positive
    match — FerretDB 1.24 ignores every negated condition on an array), then ``$push``;
    two operations that need not read the whole queue into this process."""
    mine = {"_id": queue_id, "company": company_id}
    with document_locks.hold(_lock_name(coll, queue_id)):
        if coll.find_one({**mine, "entries.task": entry["task"]}, {"_id": 1}):
            return None
        doc: dict[str, Any] | None = coll.find_one_and_update(
            mine, {"$push": {"entries": entry}, "$set": {"last_update": now}}, return_document=ReturnDocument.AFTER
        )
        return doc


def _compare_and_set(
    coll: Any, queue_id: str, company_id: str, now: datetime, change: Callable[[Entries], Entries | None]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(before, after) of ``change`` applied to the entries on a document server, under
    the queue's lock: read, change, and write only if the entries are still those read
    (else read again)."""
    with document_locks.hold(_lock_name(coll, queue_id)):
        return _compare_and_set_once(coll, queue_id, company_id, now, change)


def _lock_name(coll: Any, queue_id: str) -> str:
    return f"{coll.name}:{queue_id}"


def _compare_and_set_once(
    coll: Any, queue_id: str, company_id: str, now: datetime, change: Callable[[Entries], Entries | None]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    while True:
        doc = coll.find_one({"_id": queue_id, "company": company_id})
        if doc is None:
            return None
        entries = list(doc.get("entries") or [])
        changed = change(entries)
        if changed is None:
            return None
        written = coll.update_one(
            # the entries as read (None matches a document without them)
            {"_id": queue_id, "company": company_id, "entries": doc.get("entries")},
            {"$set": {"entries": changed, "last_update": now}},
        )
        if written.matched_count:
            return {**doc, "entries": entries}, {**doc, "entries": changed, "last_update": now}


def _modify(
    store: Any,
    queue_id: str,
    company_id: str,
    now: datetime,
    change: Callable[[Entries], Entries | None],
    added: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(document before, document after) of ``change`` applied to the entries under
    the store lock; None when the queue is missing or ``change`` refuses (None).
    ``change`` keeps entries it read and adds at most ``added``."""
    with embedded.LOCK:
        try:
            doc = dict(store[queue_id])  # a shallow copy: the stored one may be a cached object
        except KeyError:
            return None
        if doc.get("company") != company_id:
            return None
        entries = list(doc.get("entries") or [])
        changed = change(entries)
        if changed is None:
            return None
        before = {**doc, "entries": entries}
        doc["entries"] = changed
        doc["last_update"] = now
        store[queue_id] = doc
        kept = _keep_decoded(store, queue_id, doc, added)
        # the entries as stored, a list of the caller's own: the next change's entries are
        # the same objects (the queue metric carries its sum over them, bll/statistics.py)
        return before, doc if kept is None else {**doc, "entries": list(kept)}


def _keep_decoded(
    store: Any, queue_id: str, doc: dict[str, Any], added: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """Leave the written document in the store's cache, so that the next change does not
    decode all its entries again: the entries it read came decoded from the store, and the
    new values (``last_update``, the added entry) are passed through the store's encoding.
    The entries cached (None: no cache)."""
    documents = embedded.cached_documents(store)
    if documents is None:
        return None
    if added is None:
        entries = list(doc["entries"])
    else:
        stored = documents.as_stored(added)
        entries = [stored if e is added else e for e in doc["entries"]]
    documents.keep(queue_id, {**doc, "entries": entries, "last_update": documents.as_stored(doc["last_update"])})
    return entries
