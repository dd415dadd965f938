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
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

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


def hold(name: str) -> Any:
    """A context manager holding the lock ``name`` (nothing without a document server)."""
    return _locks.hold(name) if _locks is not None else nullcontext()


def hold_document(coll: Any, doc_id: str) -> Any:
    """``hold`` of the lock of one document of ``coll`` (the one ``update_one`` takes; a
    thread already holding it holds it again at no cost)."""
    return hold(f"{coll.name}:{doc_id}")


def update_one(coll: Any, query: dict[str, Any], update: dict[str, Any]) -> Any:
    """``coll.update_one`` of a conditional write to the document ``query["_id"]``, under
    that document's lock."""
    with hold_document(coll, query["_id"]):
        return coll.update_one(query, update)
