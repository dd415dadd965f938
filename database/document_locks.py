"""Short Redis locks around the conditional writes of one document (a task's status
change, a change of a queue's entries) on a document server.

A conditional write — an update whose filter says "only if the task is still queued"
or "only if the entries are still those read" — is atomic on MongoDB, but not on
FerretDB 1.24: it evaluates the filter on a read and writes in a later step, so of two
concurrent writes with the same condition both match (measured: 16 racing
``tasks.enqueue`` of one task, several won; 30 pollers on three API processes got 156 of
300 tasks twice). With a document server Redis is required (``database/stores.py``), so
every conditional write of one document takes that document's lock first: at most one
runs at a time across every API process, and the condition then holds on any server.

FerretDB 1.24 does not apply even a plain update atomically: it reads the document,
changes it in its own process and writes the whole document back, so of two concurrent
updates of *different* fields of one document the later write undoes the earlier
(measured: two threads each ``$set``-ting its own field of one document 40 times lost an
update in 46 of 50 trials; in the SDK's flow an artifact registered by its upload thread
vanished when an ``events.add_batch`` updated the task's last metrics at the same time).
So on a document server every write to one document holds that document's lock
(``LockedWrites``, installed on every document class by ``lock_every_write``), not only
the conditional ones; an update of several documents takes their locks one at a time.

A lock is ``SET key token NX PX ttl``; it is released by its holder only (a compare
and delete) and expires by itself when a process dies holding it. A waiter does not
poll in a loop: it blocks on the lock's notice list (``BLPOP``), into which each release
pushes one notice, and tries again at least every ``RETRY_SEC``. The embedded store needs
none of this (its operations run under one process-wide lock, ``database/embedded.py``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from mongoengine import Document
from pymongo.results import UpdateResult
from redis import Redis

_PREFIX = "stationmaster:doclock:"
#: A holder longer than this (a process stopped in the middle of one write) loses it.
TTL_MS = 10_000
#: How long a caller waits for a lock before failing (500: the document server is stuck).
WAIT_SEC = 60.0
#: A waiter tries again at least this often (a release notice can be missed).
RETRY_SEC = 0.05

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('del', KEYS[1])
    redis.call('rpush', KEYS[2], '1')
    redis.call('ltrim', KEYS[2], -1, -1)
    redis.call('pexpire', KEYS[2], 1000)
    return 1
end
return 0
"""


class LockTimeout(RuntimeError):
    pass


class DocumentLocks:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._release = redis.register_script(_RELEASE)
        self._held = threading.local()  # names this thread holds: a nested hold is free

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        held: set[str] = self._held.__dict__.setdefault("names", set())
        if name in held:
            yield
            return
        key = _PREFIX + name
        token = secrets.token_hex(8)
        deadline = time.monotonic() + WAIT_SEC
        while not self._redis.set(key, token, nx=True, px=TTL_MS):
            if time.monotonic() > deadline:
                raise LockTimeout(f"lock {name} not free after {WAIT_SEC:.0f}s")
            self._redis.blpop([key + ":free"], timeout=RETRY_SEC)
        held.add(name)
        try:
            yield
        finally:
            held.discard(name)
            self._release(keys=[key, key + ":free"], args=[token])


_locks: DocumentLocks | None = None


def use(locks: DocumentLocks | None) -> None:
    """The locks of this process's document server (None: the embedded store, or unit
    tests on mongomock); set when the stores are opened."""
    global _locks
    _locks = locks


#: Without a document server (the embedded store: one process) a read, change and write
#: of one document is still made by several threads at once; it holds one of these
#: re-entrant locks, chosen by the name (a shared stripe only makes two names wait for
#: each other, never wait forever: nothing holding one takes another but the task → queue
#: order of a dequeue, and a stripe is re-entrant).
_LOCAL_STRIPES = tuple(threading.RLock() for _ in range(256))


def hold(name: str) -> Any:
    """A context manager holding the lock ``name``: the document server's Redis lock, or
    a lock of this process on the embedded store."""
    if _locks is not None:
        return _locks.hold(name)
    return _LOCAL_STRIPES[hash(name) % len(_LOCAL_STRIPES)]


def hold_document(coll: Any, doc_id: str) -> Any:
    """``hold`` of the lock of one document of ``coll`` (the one ``update_one`` takes; a
    thread already holding it holds it again at no cost)."""
    return hold(f"{coll.name}:{doc_id}")


def update_one(coll: Any, query: dict[str, Any], update: dict[str, Any]) -> Any:
    """``coll.update_one`` of a conditional write to the document ``query["_id"]``, under
    that document's lock."""
    with hold_document(coll, query["_id"]):
        return coll.update_one(query, update)


#: How often a write to the one document a filter without a plain ``_id`` matches is
#: tried again when that document stopped matching between finding and writing it.
_RETRIES = 3


class LockedWrites:
    """A document server's collection whose every write to a document holds that
    document's lock (``hold_document``); anything else goes to the collection as it is.

    A filter naming one ``_id`` locks that document. Another filter of a single-document
    write is resolved to the document it matches first, which is then written under its
    lock with the filter still applied (tried again if it stopped matching meanwhile;
    with nothing matching — an upsert — the write goes through unlocked: there is no
    document to lose an update of). ``update_many`` writes the matching documents one by
    one, each under its lock; like MongoDB's, it is not atomic across documents.
    """

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def with_options(self, *args: Any, **kwargs: Any) -> LockedWrites:
        # mongoengine writes through a copy with its write concern
        return LockedWrites(self._collection.with_options(*args, **kwargs))

    def update_one(self, filter: Any, update: Any, *args: Any, **kwargs: Any) -> Any:
        return self._write_one("update_one", filter, update, args, kwargs)

    def replace_one(self, filter: Any, replacement: Any, *args: Any, **kwargs: Any) -> Any:
        return self._write_one("replace_one", filter, replacement, args, kwargs)

    def find_one_and_update(self, filter: Any, update: Any, *args: Any, **kwargs: Any) -> Any:
        return self._write_one("find_one_and_update", filter, update, args, kwargs)

    def find_one_and_replace(self, filter: Any, replacement: Any, *args: Any, **kwargs: Any) -> Any:
        # mongoengine's save of a new document with its id
        return self._write_one("find_one_and_replace", filter, replacement, args, kwargs)

    def find_one_and_delete(self, filter: Any, *args: Any, **kwargs: Any) -> Any:
        # a queue deleted with its entries: not while a pop rewrites it
        return self._delete_by_id("find_one_and_delete", filter, args, kwargs)

    def delete_one(self, filter: Any, *args: Any, **kwargs: Any) -> Any:
        # a document server's write-back racing a delete must not bring the document back
        return self._delete_by_id("delete_one", filter, args, kwargs)

    def _delete_by_id(self, method: str, filter: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        """A delete naming one ``_id`` under that document's lock (any other as it is)."""
        doc_id = _plain_id(filter)
        if doc_id is None:
            return getattr(self._collection, method)(filter, *args, **kwargs)
        with hold_document(self._collection, doc_id):
            return getattr(self._collection, method)(filter, *args, **kwargs)

    def update_many(self, filter: Any, update: Any, upsert: bool = False, **kwargs: Any) -> Any:
        ids = [doc["_id"] for doc in self._collection.find(filter, {"_id": 1})]
        if not ids:
            return self._collection.update_many(filter, update, upsert=upsert, **kwargs)
        matched = modified = 0
        for doc_id in ids:
            with hold_document(self._collection, doc_id):
                result = self._collection.update_one({**filter, "_id": doc_id}, update, **kwargs)
            matched += result.matched_count
            modified += result.modified_count
        return UpdateResult({"n": matched, "nModified": modified, "ok": 1.0}, acknowledged=True)

    def _write_one(self, method: str, filter: Any, change: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        """``method`` of the collection (a write of at most one document) under the lock
        of the document it writes."""

        def write(query: Any) -> Any:
            return getattr(self._collection, method)(query, change, *args, **kwargs)

        def write_found(query: Any) -> Any:
            options = {**kwargs, "upsert": False} if "upsert" in kwargs else kwargs
            return getattr(self._collection, method)(query, change, *args, **options)

        def matched(result: Any) -> bool:  # find_one_and_*: the document, or None
            return bool(result.matched_count) if method.endswith("_one") else result is not None

        doc_id = _plain_id(filter)
        if doc_id is not None:
            with hold_document(self._collection, doc_id):
                return write(filter)
        result = None
        for _ in range(_RETRIES):
            found = self._collection.find_one(filter, {"_id": 1}, sort=kwargs.get("sort"))
            if found is None:
                return write(filter)
            with hold_document(self._collection, found["_id"]):
                # never an upsert of the found id: it exists (a duplicate key) even if it
                # stopped matching; the next round finds what matches now
                result = write_found({**filter, "_id": found["_id"]})
            if matched(result):
                return result
        return result


def _plain_id(filter: Any) -> Any:
    """The one ``_id`` a filter names (not an operator such as ``$in``), or None."""
    doc_id = filter.get("_id") if isinstance(filter, dict) else None
    return None if isinstance(doc_id, dict) else doc_id


def lock_every_write(documents: Iterable[type[Document]]) -> None:
    """Every write of these document classes (mongoengine's and the raw collections',
    ``database/raw.py``, which are the classes' own) holds the document's lock: the
    class's collection becomes a ``LockedWrites`` (``mongoengine.disconnect`` drops it
    with the connection)."""
    for doc_cls in documents:
        collection = doc_cls._get_collection()
        if not isinstance(collection, LockedWrites):
            doc_cls._collection = LockedWrites(collection)
