"""Tripwire for the embedded store's patches of litemongo (issue 14 item 2).

``database/embedded.py`` — the one module that imports litemongo (checked below) — patches
or calls private parts of litemongo and of its vendored mongomock; ``queue_ops.py`` and
``field_ops.py`` reach the store only through its functions (``store_of``,
``cached_documents``, ``LOCK``). A litemongo release may move or change those parts
silently: ``embedded.install_thread_safety`` skips a method it does not find, and a
changed signature would only show as wrong answers. These tests pin what the patches were
written against (names, signatures, and the private attributes of live objects); when one
fails after an upgrade, re-read database/embedded.py against the new litemongo before
changing the pinned facts here.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litemongo import sqlite_store
from litemongo._vendor.mongomock import collection as mm_collection
from litemongo._vendor.mongomock import database as mm_database
from litemongo._vendor.mongomock import filtering as mm_filtering
from litemongo._vendor.mongomock import helpers as mm_helpers
from litemongo._vendor.mongomock import indexing
from support import imports

from stationmaster.database import embedded

#: The litemongo releases the patches were checked against.
CHECKED_VERSIONS = {"0.2.0"}

#: Methods of _COLLECTION_METHODS that this mongomock does not have (pymongo 3 names).
ABSENT_COLLECTION_METHODS = {
    "insert",
    "update",
    "find_and_modify",
    "save",
    "remove",
    "count",
    "ensure_index",
    "reindex",
    "map_reduce",
}

#: (owner, attribute, its parameters) of every private function the patches wrap or call.
SIGNATURES: list[tuple[Any, str, list[str]]] = [
    (mm_collection.Collection, "_get_dataset", ["self", "spec", "sort", "fields", "as_class"]),
    (mm_collection.Collection, "_iter_documents", ["self", "filter"]),
    (
        mm_collection.Collection,
        "_update",
        ["self", "spec", "document", "upsert", "manipulate", "multi", "check_keys", "hint", "session"]
        + ["collation", "let", "array_filters", "kwargs"],
    ),
    (mm_collection.Collection, "_copy_only_fields", ["self", "doc", "fields", "container"]),
    (sqlite_store.CollectionStore, "open", ["self"]),
    (sqlite_store.CollectionStore, "close", ["self"]),
    (sqlite_store.CollectionStore, "drop", ["self"]),
    (sqlite_store.CollectionStore, "copy_from", ["self", "source"]),
    (mm_collection, "_copy_field", ["obj", "container"]),
    (indexing, "_key_for", ["value"]),
    (mm_filtering, "_combine_regex_options", ["search"]),
    (mm_helpers, "patch_datetime_awareness_in_document", ["value"]),
]

#: Other names the patches rely on.
NAMES: list[tuple[Any, str]] = [
    (mm_collection, "Collection"),
    (mm_collection, "Cursor"),
    (mm_database, "Database"),
    (indexing, "CollectionIndexes"),
    (sqlite_store, "CollectionStore"),
    (sqlite_store, "TableDict"),
    (sqlite_store, "_MAX_PARAMS"),
    (sqlite_store, "sqlite3"),
]


_UNPATCHED = """
import inspect, json, sys
from litemongo import sqlite_store
from litemongo._vendor.mongomock import collection, filtering, helpers, indexing
owners = {"Collection": collection.Collection, "CollectionStore": sqlite_store.CollectionStore,
          "collection": collection, "indexing": indexing, "helpers": helpers, "filtering": filtering}
print(json.dumps({f"{o}.{n}": list(inspect.signature(getattr(owners[o], n)).parameters)
                  for o, n in json.loads(sys.argv[1])}))
"""


@pytest.fixture(scope="module")
def unpatched() -> dict[str, list[str]]:
    """The signatures in a fresh interpreter, where no test has installed the patches."""
    names = [[_owner_name(o), n] for o, n, _ in SIGNATURES]
    out = subprocess.run(
        [sys.executable, "-c", _UNPATCHED, json.dumps(names)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found: dict[str, list[str]] = json.loads(out)
    return found


def _owner_name(owner: Any) -> str:
    names = {mm_collection: "collection", indexing: "indexing", mm_helpers: "helpers", mm_filtering: "filtering"}
    return names.get(owner, owner.__name__)


def test_the_installed_litemongo_is_one_the_patches_were_checked_against() -> None:
    version = importlib.metadata.version("litemongo")
    assert version in CHECKED_VERSIONS, (
        f"litemongo {version}: re-check database/embedded.py against it, then add it to CHECKED_VERSIONS"
    )


def test_the_locked_collection_and_database_methods_exist() -> None:
    present = {n for n in embedded._COLLECTION_METHODS if hasattr(mm_collection.Collection, n)}
    assert set(embedded._COLLECTION_METHODS) - present == ABSENT_COLLECTION_METHODS
    assert all(hasattr(mm_database.Database, n) for n in embedded._DATABASE_METHODS)


@pytest.mark.parametrize("owner, name", NAMES, ids=[f"{_owner_name(o)}.{n}" for o, n in NAMES])
def test_a_relied_on_name_exists(owner: Any, name: str) -> None:
    assert hasattr(owner, name), f"litemongo moved {name}"


@pytest.mark.parametrize("owner, name, parameters", SIGNATURES, ids=[f"{_owner_name(o)}.{n}" for o, n, _ in SIGNATURES])
def test_a_patched_function_keeps_its_signature(
    unpatched: dict[str, list[str]], owner: Any, name: str, parameters: list[str]
) -> None:
    assert unpatched[f"{_owner_name(owner)}.{name}"] == parameters


#: Private attributes of live litemongo objects the patches read or call, by object.
INSTANCE_ATTRIBUTES = {
    "collection": ("_store", "codec_options", "_iter_documents"),
    "store": (
        *("_documents", "_get_query_index", "_remove_expired_documents", "__getitem__", "__setitem__"),
        # the split collections' own drop and copy_from (database/embedded.py)
        *("_path", "_connection", "_rwlock", "_ttl_indexes", "_is_force_created", "_query_index", "indexes"),
        *("DOCUMENTS", "INDEXES", "INFO"),
    ),
    "documents": ("_connection", "_cur", "_table_name", "_decode_doc", "_encode_doc", "ID", "DOC"),
    "cursor": ("_spec", "_projection", "_sort", "_skip", "_limit", "_factory"),
}


def test_the_private_attributes_of_live_objects_exist(tmp_path: Path) -> None:
    client = embedded.client_class(tmp_path)()
    try:
        coll = client["db"]["things"]
        coll.insert_one({"_id": "a", "x": 1})
        live = {
            "collection": coll,
            "store": coll._store,
            "documents": coll._store._documents,
            "cursor": coll.find({"x": 1}),
        }
        missing = {
            what: [name for name in names if not hasattr(live[what], name)]
            for what, names in INSTANCE_ATTRIBUTES.items()
        }
        assert {what: names for what, names in missing.items() if names} == {}, "litemongo moved them"
        assert embedded.store_of(coll) is coll._store
        assert embedded.cached_documents(coll._store) is coll._store._documents
        assert coll.find_one({"_id": "a"}) == {"_id": "a", "x": 1}
    finally:
        client.close()


_IMPORTS_LITEMONGO = re.compile(r"^\s*(?:from|import)\s+litemongo\b", re.MULTILINE)


def test_only_the_embedded_module_imports_litemongo() -> None:
    """Every patch of, and every call into, litemongo's internals stays in one module."""
    importers = sorted(
        module for module, path in imports.modules() if _IMPORTS_LITEMONGO.search(path.read_text(encoding="utf-8"))
    )
    assert importers == ["database.embedded"]
