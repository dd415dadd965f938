"""The embedded document store: mongoengine on litemongo (SQLite files).

litemongo evaluates queries in Python (a vendored mongomock) over SQLite files. Two
things make it safe for a threaded server:

- its SQLite connections may be used from any thread (``check_same_thread=False``);
- one process-wide re-entrant lock serialises every collection and database
  operation, so read-modify-write operations such as ``find_one_and_update`` (the
  queue pop) are atomic, as they are on MongoDB.

Only one server process may use a data directory at a time; ``DataDirLock`` enforces
that. A deployment with several API processes uses MongoDB.

Speed-ups (issue 3; each keeps results identical to litemongo's own code path):

- ``_CachedDocuments``: the documents table of a collection file with its decoded
  documents kept in memory (up to ``CACHE_LIMIT`` per collection). Writes drop the
  entry (the next read decodes the stored row), ``drop``/``copy_from`` and commits by
  another connection (``PRAGMA data_version``) empty the cache. Readers get the shared
  object: every mongomock reader copies it before handing it out, except ``_update``,
  which mutates the document it read in place; during an update the cache is bypassed
  (rows decoded afresh and not kept), exactly as without a cache.
- ``exact_keys``: a filter that litemongo's hash indexes answer exactly (``$eq``/``$in``/
  ``$nin`` of strings or ObjectIds on indexed fields, joined by ``$and``, no document of
  those fields unkeyed) needs no per-document check; a cursor without sort then reads only the
  documents in its ``skip``/``limit`` window.
- ``_copy_only_fields``: inclusion projections of top-level fields, and whole-document
  copies, without mongomock's per-document spec rebuilding and ``copy.copy`` of scalars.

This module is the only one that touches litemongo's (and its vendored mongomock's)
private parts; ``tests/unit/test_litemongo_tripwire.py`` pins each of them and checks
that no other module imports litemongo.
"""

from __future__ import annotations

import datetime
import fcntl
import functools
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import bson
import litemongo
from litemongo import sqlite_store
from litemongo._vendor.mongomock import collection as mm_collection
from litemongo._vendor.mongomock import database as mm_database
from litemongo._vendor.mongomock import filtering as mm_filtering
from litemongo._vendor.mongomock import helpers as mm_helpers
from litemongo._vendor.mongomock import indexing

from . import list_rows

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


# --- speed-ups ---------------------------------------------------------------------------

CACHE_LIMIT = 50_000
_IMMUTABLE = (str, int, float, bool, type(None), datetime.datetime, bson.ObjectId, bytes)
_EXACT_VALUES = (str, bson.ObjectId)
_REGEX_TYPES = (re.Pattern, bson.Regex)


class _CachedDocuments(sqlite_store.TableDict):
    """The ``documents`` table with decoded documents kept by encoded key."""

    _cache: dict[str, dict[str, Any]]
    _version: Any
    bypass: int

    def start_cache(self) -> None:
        self._cache = {}
        self._version = None
        self.bypass = 0

    def clear_cache(self) -> None:
        self._cache.clear()

    def _check_version(self) -> None:
        # data_version changes only when another connection commits to the file
        version = self._connection.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self.clear_cache()
            self._version = version

    def _decoded(self, key: str, encoded: bytes) -> dict[str, Any]:
        """The document of the row ``key`` holds ``encoded``."""
        doc: dict[str, Any] = self._decode_doc(encoded)
        return doc

    def _remember(self, key: str, encoded: bytes) -> dict[str, Any]:
        doc = self._decoded(key, encoded)
        if not self.bypass:
            if len(self._cache) >= CACHE_LIMIT:
                del self._cache[next(iter(self._cache))]
            self._cache[key] = doc
        return doc

    def _cached(self, key: str) -> dict[str, Any] | None:
        return None if self.bypass else self._cache.get(key)

    def __getitem__(self, key: Any) -> dict[str, Any]:
        self._check_version()
        encoded_key = self.encode_key(key)
        doc = self._cached(encoded_key)
        if doc is not None:
            return doc
        row = self._cur.execute(
            f"SELECT {self.DOC} FROM {self._table_name} WHERE {self.ID}=?",
            (encoded_key,),
        ).fetchone()
        if row is None:
            raise KeyError(encoded_key)
        return self._remember(encoded_key, row[0])

    def __setitem__(self, key: Any, val: Any) -> None:
        self._cache.pop(self.encode_key(key), None)
        try:
            super().__setitem__(key, val)
        finally:
            self._cache.pop(self.encode_key(key), None)

    def __delitem__(self, key: Any) -> None:
        self._cache.pop(self.encode_key(key), None)
        super().__delitem__(key)

    def keep(self, key: Any, doc: dict[str, Any]) -> None:
        """Cache ``doc`` for the row just written under ``key``: the caller guarantees it
        equals what decoding that row gives (``as_stored`` for values it did not read)."""
        if self.bypass:
            return
        if len(self._cache) >= CACHE_LIMIT:
            del self._cache[next(iter(self._cache))]
        self._cache[self.encode_key(key)] = doc

    def as_stored(self, value: Any) -> Any:
        """``value`` as a stored row gives it back (BSON keeps datetimes to the millisecond)."""
        return self._decode_doc(self._encode_doc({"v": value}))["v"]

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        self._check_version()
        cur = self._connection.cursor()
        try:
            # rows are copied out of SQLite (cheap); only the uncached ones are decoded
            for key, encoded in cur.execute(f"SELECT {self.ID}, {self.DOC} FROM {self._table_name} ORDER BY ROWID"):
                doc = self._cached(key)
                yield key, (self._remember(key, encoded) if doc is None else doc)
        finally:
            cur.close()

    def values(self) -> Iterator[dict[str, Any]]:
        for _, doc in self.items():
            yield doc

    def get_many_encoded(self, keys: list[str]) -> Iterator[dict[str, Any]]:
        self._check_version()
        if self.bypass:
            found = dict(self._fetch(keys))
        else:
            cache_get = self._cache.get
            found = {key: doc for key in keys if (doc := cache_get(key)) is not None}
            if len(found) < len(keys):
                found.update(self._fetch([key for key in keys if key not in found]))
        for key in keys:
            doc = found.get(key)
            if doc is not None:
                yield doc

    def _fetch(self, keys: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        for start in range(0, len(keys), sqlite_store._MAX_PARAMS):
            chunk = keys[start : start + sqlite_store._MAX_PARAMS]
            placeholders = ",".join("?" * len(chunk))
            rows = self._cur.execute(
                f"SELECT {self.ID}, {self.DOC} FROM {self._table_name} WHERE {self.ID} IN ({placeholders})",
                chunk,
            ).fetchall()
            for key, encoded in rows:
                yield key, self._remember(key, encoded)


#: The cached documents of a collection whose list field is kept in rows
#: (``database/list_rows.py``: the queues' entries).
_SplitDocuments = list_rows.split_documents(_CachedDocuments)


def _split_field(store: Any) -> str | None:
    """The list field the collection file keeps in rows: by the collection's name, or as
    recorded in the file (a collection renamed)."""
    return list_rows.SPLIT_FIELDS.get(store._path.name) or _recorded_field(store)


def _recorded_field(store: Any) -> str | None:
    row = store._connection.execute(f"SELECT value FROM {store.INFO} WHERE key = 'split_field'").fetchone()
    return row[0] if row else None


def _make_split(store: Any, field: str) -> None:
    """Keep the collection's ``field`` in rows, recorded in the file (written only when
    missing: a read-only copy of a data directory still opens)."""
    docs = store._documents
    docs.__class__ = _SplitDocuments
    docs.start_split(field)
    if _recorded_field(store) != field:
        with store._connection:
            store._connection.execute(f"INSERT OR REPLACE INTO {store.INFO} VALUES ('split_field', ?)", (field,))


def _split_drop(store: Any) -> None:
    """litemongo's ``drop`` with the list rows, in one transaction, the split kept."""
    conn = store._connection
    with store._rwlock.writer(), conn:
        for table in (store.DOCUMENTS, store.INDEXES, list_rows.TABLE):
            conn.execute(f"DELETE FROM {table}")
        conn.execute(f"DELETE FROM {store.INFO} WHERE key NOT IN ('key_format', 'split_field')")
    store.indexes.invalidate()
    store._ttl_indexes.clear()
    store._is_force_created = False
    store._query_index = None


def _split_copy_from(store: Any, source: Any) -> None:
    """litemongo's ``copy_from`` (a rename) with the list rows, in one transaction; the
    split then follows the file (the source's recorded field, or the name)."""
    store._documents.key_format = source._documents.key_format
    conn = store._connection
    source_rows = list_rows.has_rows_table(source._connection)
    with store._rwlock.writer(), conn:
        list_rows.create_table(conn)
        for table in (store.DOCUMENTS, store.INDEXES, store.INFO, list_rows.TABLE):
            conn.execute(f"DELETE FROM {table}")
            if table == list_rows.TABLE and not source_rows:
                continue
            order = "" if table == list_rows.TABLE else " ORDER BY ROWID"  # (a table WITHOUT ROWID)
            rows = source._connection.execute(f"SELECT * FROM {table}{order}").fetchall()
            if rows:
                conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows)
    store.indexes.invalidate()
    store._is_force_created = source._is_force_created
    store._ttl_indexes = dict(source._ttl_indexes)
    store._query_index = None
    field = _split_field(store)
    if field is not None:
        _make_split(store, field)
    else:
        store._documents.__class__ = _CachedDocuments


def cached_documents(store: Any) -> _CachedDocuments | None:
    """The cached documents table of a collection store, or None."""
    return _documents(store)


def _documents(store: Any) -> _CachedDocuments | None:
    docs = getattr(store, "_documents", None)
    return docs if isinstance(docs, _CachedDocuments) else None


# --- exact index answers ----------------------------------------------------------------


def _exact_values(condition: Any) -> list[Any] | None:
    """The values an ``$eq``/``$in`` condition accepts, when equality on them is exact."""
    if isinstance(condition, dict):
        if len(condition) != 1:
            return None
        op, value = next(iter(condition.items()))
        if op == "$eq":
            return [value] if isinstance(value, _EXACT_VALUES) else None
        if op == "$in" and isinstance(value, list | tuple) and all(isinstance(v, _EXACT_VALUES) for v in value):
            return list(value)
        return None
    return [condition] if isinstance(condition, _EXACT_VALUES) else None


def _excluded_values(condition: Any) -> list[Any] | None:
    """The values a ``$nin`` (or ``$ne``: one value) condition refuses, when equality on
    them is exact."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    if "$ne" in condition:
        return [condition["$ne"]] if isinstance(condition["$ne"], _EXACT_VALUES) else None
    if "$nin" not in condition:
        return None
    values = condition["$nin"]
    if not isinstance(values, list | tuple) or not all(isinstance(v, _EXACT_VALUES) for v in values):
        return None
    return list(values)


def _in_with_null(condition: Any) -> list[Any] | None:
    """The other values of an ``$in`` that also accepts null (``public_or_company``'s
    ``company $in [id, "", None]``), when equality on them is exact."""
    if not isinstance(condition, dict) or len(condition) != 1 or not isinstance(condition.get("$in"), list | tuple):
        return None
    values = [v for v in condition["$in"] if v is not None]
    if len(values) == len(condition["$in"]) or not all(isinstance(v, _EXACT_VALUES) for v in values):
        return None
    return values


Fetch = Callable[[list[Any]], Iterable[Any]]


class _NullInArray:
    """The index key of a document whose field is an array holding a null: mongomock keys
    no value for the null, and an equality to null matches such an array."""

    def __repr__(self) -> str:
        return "<null in an array>"


NULL_IN_ARRAY = _NullInArray()


def _holds_null_in_array(doc: Any, path: str) -> bool:
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return isinstance(value, list | tuple) and any(v is None for v in value)


def _install_null_keys() -> None:
    original = indexing._doc_keys

    @functools.wraps(original)
    def doc_keys(doc: dict[str, Any], path: str) -> Any:
        keys = original(doc, path)
        if keys is not None and _holds_null_in_array(doc, path):
            keys = {*keys, NULL_IN_ARRAY}
        return keys

    indexing._doc_keys = doc_keys


def _null_matches(index: Any, field: str, fetch: Fetch, within: set[Any] | None) -> set[Any]:
    """The documents (of ``within``, when known) an equality to null matches on ``field``:
    among those the index holds no key for (the field missing or null...) and the arrays
    holding a null, the ones mongomock's own filter accepts, read one by one (usually none
    or few)."""
    doc_keys = index._doc_keys
    if within is None:
        candidates = [k for k, keys in doc_keys.items() if not keys]
        candidates += index._entries.get(NULL_IN_ARRAY, ())
    else:
        candidates = [k for k in within if not doc_keys.get(k) or NULL_IN_ARRAY in doc_keys[k]]
    spec = {field: None}
    found = set()
    for key in candidates:
        docs = list(fetch([key]))
        if docs and mm_filtering.filter_applies(spec, docs[0]):
            found.add(key)
    return found


def _conjuncts(spec: Any) -> list[tuple[str, Any]] | None:
    """The (field, condition) pairs a filter ANDs (``$and`` flattened), or None when it is
    not a conjunction of field conditions."""
    if not isinstance(spec, dict) or not spec:
        return None
    found: list[tuple[str, Any]] = []
    for field, condition in spec.items():
        if field == "$and":
            if not isinstance(condition, list | tuple) or not condition:
                return None
            for sub in condition:
                parts = _conjuncts(sub)
                if parts is None:
                    return None
                found += parts
        else:
            found.append((field, condition))
    return found


def _entry_sets(index: Any, values: list[Any]) -> list[set[Any]]:
    return [index._entries.get(indexing._key_for(value), set()) for value in values]


def _in_any(within: set[Any] | None, sets: list[set[Any]]) -> set[Any]:
    """The keys of ``within`` (all, when None) in one of ``sets``; a small ``within`` is
    filtered, not the large sets copied."""
    if within is None:
        return set().union(*sets)
    return {k for k in within if any(k in found for found in sets)}


def _regex_search(field: str, condition: Any) -> Callable[[str], Any] | None:
    """The ``search`` mongomock's ``_regex`` applies to each string of a top-level field
    for a regular-expression condition (a pattern, or ``$regex`` with ``$options``), or
    None for anything else (or a condition mongomock would refuse: it keeps its own path)."""
    if "." in field:
        return None
    try:
        if isinstance(condition, _REGEX_TYPES):
            regex: Any = condition
        elif isinstance(condition, dict) and "$regex" in condition and set(condition) <= {"$regex", "$options"}:
            search = mm_filtering._combine_regex_options(condition) if "$options" in condition else condition
            regex = search["$regex"]
        else:
            return None
        if isinstance(regex, str):
            regex = re.compile(regex)
        if not isinstance(regex, re.Pattern):
            regex = regex.try_compile()  # bson.Regex (bll/patterns.py's SafePattern among them)
        found: Callable[[str], Any] = regex.search
        return found
    except Exception:
        return None


def _regex_matches(index: Any, search: Callable[[str], Any], within: set[Any] | None) -> set[Any]:
    """The documents (of ``within``, when known) whose field is a string, or an array
    holding a string, that ``search`` matches: mongomock's ``_regex`` (other values never
    match; the index keys each string as ``("s", text)``). Each distinct text is searched
    once, or each document of a smaller ``within``."""

    def matches(key: Any) -> bool:
        return type(key) is tuple and len(key) == 2 and key[0] == "s" and bool(search(key[1]))

    entries = index._entries
    if within is not None and len(within) < len(entries):
        doc_keys = index._doc_keys
        return {k for k in within if any(map(matches, doc_keys.get(k, ())))}
    found: set[Any] = set()
    for key, documents in entries.items():
        if matches(key):
            found |= documents
    return found if within is None else found & within


def _filtered(index: Any, field: str, condition: Any, fetch: Fetch, within: set[Any] | None) -> set[Any] | None:
    """The documents (of ``within``, when known) an ``$in`` holding null, a ``$nin``, a
    ``$ne`` or a regular expression matches, or None if the index cannot tell."""
    search = _regex_search(field, condition)
    if search is not None:
        return _regex_matches(index, search, within)
    with_null = _in_with_null(condition)
    if with_null is not None:
        found = _in_any(within, _entry_sets(index, with_null))
        return found | _null_matches(index, field, fetch, None if within is None else within - found)
    refused = _excluded_values(condition)
    if refused is None:
        return None
    # every document whose keys (its value, or its array's elements) avoid them; a missing
    # or null field has no keys, and matches as in MongoDB
    keys = {indexing._key_for(value) for value in refused}
    doc_keys = index._doc_keys
    if within is None:
        return {k for k, found in doc_keys.items() if not found & keys}
    return {k for k in within if not doc_keys.get(k, set()) & keys}


def _exact_set(query_index: indexing.CollectionIndexes, spec: Any, fetch: Fetch) -> set[Any] | None:
    """The documents matching ``spec`` by the indexes alone, or None. The ``$eq``/``$in``
    conditions narrow first, the smallest first; the others (null, ``$nin``, ``$ne``) then
    look only at the documents left, so that a lookup by id stays one index entry."""
    conjuncts = _conjuncts(spec)
    if conjuncts is None:
        return None
    fields = query_index._fields
    narrowing: list[list[set[Any]]] = []
    later: list[tuple[Any, str, Any]] = []
    for field, condition in conjuncts:
        index = fields.get(field)
        if index is None or index._unkeyed:
            return None
        values = _exact_values(condition)
        if values is None:
            later.append((index, field, condition))
        else:
            narrowing.append(_entry_sets(index, values))
    result: set[Any] | None = None
    for sets in sorted(narrowing, key=lambda found: sum(len(s) for s in found)):
        result = _in_any(result, sets)
    for index, field, condition in later:
        found = _filtered(index, field, condition, fetch, result)
        if found is None:
            return None
        result = found if result is None else result & found
    return result


def exact_keys(store: Any, spec: Any) -> list[Any] | None:
    """The store keys (natural order) of exactly the documents matching ``spec``, or None
    when the indexes cannot tell. Call with the store lock held."""
    if _documents(store) is None or not isinstance(spec, dict) or not spec:
        return None
    store._remove_expired_documents()
    query_index = store._get_query_index()
    found = _exact_set(query_index, spec, store._get_many)
    if found is None:
        return None
    return list(query_index.in_natural_order(found))


def _shared_find(coll: Any, spec: dict[str, Any], lock: threading.RLock) -> list[dict[str, Any]] | None:
    """The documents matching ``spec`` as the store holds them (no copies: read only),
    in natural order; None if ``coll`` is not a cached embedded collection."""
    if not isinstance(coll, mm_collection.Collection) or coll.codec_options.tz_aware:
        return None
    with lock:
        if _documents(coll._store) is None:
            return None
        return list(coll._iter_documents(mm_helpers.patch_datetime_awareness_in_document(spec)))


# --- projection ------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    return mm_collection._copy_field(value, dict)


def _top_level_include(fields: Any) -> tuple[set[str], bool] | None:
    """(fields kept, keep ``_id``) for an inclusion projection of top-level fields."""
    if not isinstance(fields, dict) or not fields:
        return None
    keep: set[str] = set()
    keep_id = True
    for name, flag in fields.items():
        if not isinstance(name, str) or "." in name or name.startswith("$") or type(flag) not in (int, bool):
            return None
        if name == "_id":
            keep_id = bool(flag)
        elif flag:
            keep.add(name)
        else:
            return None
    return (keep, keep_id) if keep else None


# --- installing the speed-ups ---------------------------------------------------------

_ORIGINAL: dict[str, Callable[..., Any]] = {}


def _install_speedups(lock: threading.RLock) -> None:
    """Patch litemongo's classes for speed (called once, under ``lock``, by
    ``install_thread_safety``)."""
    _install_store(lock)
    _install_collection(lock)
    _install_cursor(lock)
    _install_null_keys()


def _install_store(lock: threading.RLock) -> None:
    store_cls = sqlite_store.CollectionStore
    original_open = store_cls.open

    def open_store(self: Any) -> None:
        original_open(self)
        self._documents.__class__ = _CachedDocuments
        self._documents.start_cache()
        field = _split_field(self)
        if field is not None:
            _make_split(self, field)

    store_cls.open = _under(lock, open_store)
    original_drop, original_copy_from = store_cls.drop, store_cls.copy_from

    def drop(self: Any) -> None:
        docs = _documents(self)
        try:
            if isinstance(docs, _SplitDocuments):
                _split_drop(self)
            else:
                original_drop(self)
        finally:
            if docs is not None:
                docs.clear_cache()

    def copy_from(self: Any, source: Any) -> None:
        docs = _documents(self)
        try:
            if isinstance(docs, _SplitDocuments) or isinstance(_documents(source), _SplitDocuments):
                _split_copy_from(self, source)
            else:
                original_copy_from(self, source)
        finally:
            if docs is not None:
                docs.clear_cache()

    store_cls.drop = _under(lock, drop)
    store_cls.copy_from = _under(lock, copy_from)


def _projector(collection: Any, fields: Any, container: Any = dict) -> Callable[[Any], Any]:
    """``_copy_only_fields`` for one projection, worked out once for many documents."""
    if container is dict:
        if fields is None:
            return _copy
        include = _top_level_include(fields)
        if include is not None:
            keep, keep_id = include

            def project(doc: Any) -> dict[str, Any]:
                result = {k: _copy(v) for k, v in doc.items() if k in keep and k != "_id"}
                if keep_id and "_id" in doc:
                    result["_id"] = doc["_id"]
                return result

            return project
    return functools.partial(_ORIGINAL["copy"], collection, fields=fields, container=container)


def _install_collection(lock: threading.RLock) -> None:
    coll_cls = mm_collection.Collection
    original_update = coll_cls._update
    original_iter = coll_cls._iter_documents
    original_dataset = coll_cls._get_dataset
    _ORIGINAL["copy"] = coll_cls._copy_only_fields

    @functools.wraps(original_update)
    def update(self: Any, *args: Any, **kwargs: Any) -> Any:
        # mongomock changes the document it read in place: read rows afresh meanwhile
        with lock:
            docs = _documents(self._store)
            if docs is None:
                return original_update(self, *args, **kwargs)
            docs.bypass += 1
            try:
                return original_update(self, *args, **kwargs)
            finally:
                docs.bypass -= 1

    @functools.wraps(original_iter)
    def iter_documents(self: Any, filter: Any) -> Iterable[Any]:  # mongomock's name
        with lock:
            store = self._store
            keys = exact_keys(store, filter)
            if keys is None:
                return original_iter(self, filter)
            return list(store._get_many(keys))

    def copy_only_fields(self: Any, doc: Any, fields: Any, container: Any) -> Any:
        return _projector(self, fields, container)(doc)

    def get_dataset(self: Any, spec: Any, sort: Any, fields: Any, as_class: Any) -> Iterator[Any]:
        if sort:
            return original_dataset(self, spec, sort, fields, as_class)
        project = _projector(self, fields, as_class)
        # materialised under the lock, as the method it replaces (cursors read lazily)
        return iter([project(doc) for doc in self._iter_documents(spec)])

    coll_cls._update = update
    coll_cls._iter_documents = iter_documents
    coll_cls._copy_only_fields = copy_only_fields
    coll_cls._get_dataset = _under(lock, get_dataset)


def _install_cursor(lock: threading.RLock) -> None:
    cursor_cls = mm_collection.Cursor
    original_results = cursor_cls._compute_results

    @functools.wraps(original_results)
    def compute_results(self: Any, with_limit_and_skip: bool = False) -> Any:
        if not with_limit_and_skip or self._sort:
            return original_results(self, with_limit_and_skip)
        window = self.__dict__.get("_sm_window")
        if window is not None and window[0] is self._factory and window[1:3] == (self._skip, self._limit):
            # mongomock asks again at every document: the answer, or that the indexes
            # could not tell (then mongomock's own results, which it keeps)
            return window[3] if window[3] is not None else original_results(self, with_limit_and_skip)
        if self.collection.codec_options.tz_aware:
            return original_results(self, with_limit_and_skip)
        with lock:
            collection = self.collection
            keys = exact_keys(collection._store, self._spec)
            if keys is None:
                self._sm_window = (self._factory, self._skip, self._limit, None)
                return original_results(self, with_limit_and_skip)
            keys = keys[self._skip :]
            if self._limit:
                keys = keys[: abs(self._limit)]
            project = _projector(collection, self._projection)
            results = [project(doc) for doc in collection._store._get_many(keys)]
        self._sm_window = (self._factory, self._skip, self._limit, results)
        return results

    cursor_cls._compute_results = compute_results


def _under(lock: threading.RLock, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return func(*args, **kwargs)

    return wrapper


# --- installation and the client --------------------------------------------------------


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
        _install_speedups(LOCK)
        # The interpreter's thread switch interval is left as it is (docs/embedded-store.md,
        # "Thread switching": a shorter one cost more than it saved once waitress's main
        # loop stopped spinning, issue 24).
        _installed = True


def shared_find(coll: Any, query: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Read-only documents matching ``query`` without copies, or None (not embedded)."""
    return _shared_find(coll, query, LOCK)


def store_of(coll: Any) -> Any:
    """The litemongo document store behind ``coll``, or None for a real MongoDB (or any
    store without the expected internals, which then takes the generic path): what the
    queue entry and field operations (``queue_ops``, ``field_ops``) change in place
    under ``LOCK``."""
    if not isinstance(coll, mm_collection.Collection):
        return None
    store = getattr(coll, "_store", None)
    if store is None or not hasattr(store, "__setitem__"):
        return None
    return store


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
