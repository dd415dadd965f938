"""The embedded document store: mongoengine on litemongo (SQLite files).

litemongo evaluates queries in Python (a vendored mongomock) over SQLite files. Two
things make it safe for a threaded server:

- its SQLite connections may be used from any thread (``check_same_thread=False``);
- one process-wide re-entrant lock serialises every collection and database
  operation, so read-modify-write operations such as ``find_one_and_update`` (the
  queue pop) are atomic, as they are on MongoDB.

Only one server process may use a data directory at a time; ``DataDirLock`` enforces
that. A deployment with several API processes uses MongoDB.

Speed (issue 3; none of this changes a result):

- decoded documents are kept in memory per collection (``_CachedDocuments``): a write
  drops the entry and the next read decodes the stored row again; updates (which
  mongomock applies in place to the document it read) read past the cache, so a failed
  or no-op update can never leave an entry that differs from the row;
- a filter made only of ``$eq``/``$in`` conditions on strings or ObjectIds over indexed
  fields (combined with ``$and``) is answered exactly by litemongo's hash indexes: no
  document is checked against it, and a cursor without a sort reads only the documents
  of its ``skip``/``limit`` window;
- inclusion projections of top-level fields copy only what they keep.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import litemongo
from litemongo import sqlite_store
from litemongo._vendor.mongomock import collection as mm_collection
from litemongo._vendor.mongomock import database as mm_database

from . import embedded_fast

LOCK = threading.RLock()
_installed = False

# Collection and database methods that touch the store. Everything else is pure.
_COLLECTION_METHODS = (
    "insert_one",
    "insert_many",
    "insert",
    "update_one",
    "update_many",
    "update",
    "replace_one",
    "find_one",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "find_and_modify",
    "save",
    "delete_one",
    "delete_many",
    "remove",
    "count",
    "count_documents",
    "estimated_document_count",
    "drop",
    "ensure_index",
    "create_index",
    "create_indexes",
    "drop_index",
    "drop_indexes",
    "reindex",
    "list_indexes",
    "index_information",
    "distinct",
    "aggregate",
    "bulk_write",
    "rename",
    "map_reduce",
)
_DATABASE_METHODS = (
    "list_collection_names",
    "list_collections",
    "drop_collection",
    "create_collection",
    "rename_collection",
    "command",
    "get_collection",
    "__getitem__",
)


def _locked(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            return func(*args, **kwargs)

    return wrapper


def _locked_dataset(func: Callable[..., Any]) -> Callable[..., Any]:
    # Cursors read lazily through this generator: materialise it under the lock.
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            return iter(list(func(*args, **kwargs)))

    return wrapper


class _SharedSqlite:
    """``sqlite3`` as litemongo's store module sees it: connections usable from any
    thread (the process-wide lock keeps their use serial)."""

    def connect(self, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs["check_same_thread"] = False
        return sqlite3.connect(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)


def install_thread_safety() -> None:
    """Patch litemongo's vendored mongomock once per process (idempotent)."""
    global _installed
    with LOCK:
        if _installed:
            return
        cls = mm_collection.Collection
        for name in _COLLECTION_METHODS:
            if hasattr(cls, name):
                setattr(cls, name, _locked(getattr(cls, name)))
        cls._get_dataset = _locked_dataset(cls._get_dataset)
        for name in _DATABASE_METHODS:
            if hasattr(mm_database.Database, name):
                setattr(mm_database.Database, name, _locked(getattr(mm_database.Database, name)))
        sqlite_store.sqlite3 = _SharedSqlite()
        sqlite_store.CollectionStore.open = _locked(sqlite_store.CollectionStore.open)
        sqlite_store.CollectionStore.close = _locked(sqlite_store.CollectionStore.close)
        embedded_fast.install(LOCK)
        # The interpreter's thread switch interval is left as it is (docs/embedded-store.md,
        # "Thread switching": a shorter one cost more than it saved once waitress's main
        # loop stopped spinning, issue 24).
        _installed = True


def shared_find(coll: Any, query: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Read-only documents matching ``query`` without copies, or None (not embedded)."""
    return embedded_fast.shared_find(coll, query, LOCK)


def client_class(root: Path) -> type:
    """A ``mongo_client_class`` for mongoengine's ``connect`` storing under ``root``."""
    install_thread_safety()
    root.mkdir(parents=True, exist_ok=True)

    class EmbeddedClient(litemongo.MongoClient):
        def __init__(self, host: Any = None, **kwargs: Any) -> None:
            # mongoengine passes host, port and pymongo options that litemongo lacks
            kept = {k: v for k, v in kwargs.items() if k in ("document_class", "tz_aware", "read_preference")}
            super().__init__(str(root), **kept)

    return EmbeddedClient


class DataDirLock:
    """An exclusive, advisory lock on a data directory for the process's lifetime."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "server.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.path.read_text().strip() or "another process"
            raise RuntimeError(
                f"the data directory {self.path.parent} is in use by {holder}; "
                "stop that server or choose another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
