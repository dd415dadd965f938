"""Queue entries in rows of their own (database/list_rows.py, issue 24).

Every read must equal what a fresh client (its own connection, cache and shadows) decodes
from the file; a pop deletes rows and an append inserts rows, without rewriting the
others; every other change, and mongomock's own update path, still gives the right list.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import pytest

from stationmaster.database.embedded import client_class
from stationmaster.database.list_rows import TABLE
from stationmaster.database.queue_ops import pop_head, pull_task, push_entry

T0 = datetime(2026, 1, 1)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "docs"


@pytest.fixture
def queues(root: Path) -> Any:
    return client_class(root)().db.queue


def fresh(root: Path, name: str = "queue") -> dict[str, dict[str, Any]]:
    """The documents as a new client reads them from the file."""
    return {d["_id"]: d for d in client_class(root)().db[name].find()}


def row_table(root: Path, name: str = "queue") -> tuple[dict[str, Any], list[tuple[str, int, Any]]]:
    """(the document rows decoded as stored, by ``_id``; the list rows: encoded key, seq, item)."""
    conn = sqlite3.connect(root / "db" / name)
    try:
        docs = {d["_id"]: d for d in (bson.decode(doc) for (doc,) in conn.execute("SELECT doc FROM documents"))}
        items = [(k, s, bson.decode(i)["v"]) for k, s, i in conn.execute(f"SELECT * FROM {TABLE} ORDER BY 1, 2")]
    finally:
        conn.close()
    return docs, items


def entries(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"task": f"t{i}", "added": T0 + timedelta(seconds=i)} for i in range(start, start + n)]


def test_the_list_is_kept_in_rows_and_read_back_whole(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "company": "c", "name": "q", "entries": entries(5)})
    docs, items = row_table(root)
    (row,) = docs.values()
    assert row["entries"] == [] and row["name"] == "q"
    assert [(s, i["task"]) for _, s, i in items] == [(n, f"t{n}") for n in range(5)]
    assert fresh(root)["q"] == {"_id": "q", "company": "c", "name": "q", "entries": entries(5)}
    assert list(fresh(root)["q"]) == ["_id", "company", "name", "entries"]  # the field keeps its place


def test_a_pop_deletes_one_row_and_an_append_inserts_one(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "company": "c", "entries": entries(4)})
    queues.find_one({"_id": "q"})
    assert pop_head(queues, "q", "c", T0) is not None
    assert [s for _, s, _ in row_table(root)[1]] == [1, 2, 3]
    push_entry(queues, "q", "c", {"task": "t9", "added": T0}, T0)
    assert [(s, i["task"]) for _, s, i in row_table(root)[1]] == [(1, "t1"), (2, "t2"), (3, "t3"), (4, "t9")]
    assert pop_head(queues, "q", "c", T0) is not None  # the appended item, compared by identity
    assert [s for _, s, _ in row_table(root)[1]] == [2, 3, 4]
    expected = [*entries(2, start=2), {"task": "t9", "added": T0}]
    assert fresh(root)["q"]["entries"] == expected == queues.find_one({"_id": "q"})["entries"]


def test_every_other_change_gives_the_right_list(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "company": "c", "entries": entries(4)})
    push_entry(queues, "q", "c", {"task": "front", "added": T0}, T0, position=0)
    push_entry(queues, "q", "c", {"task": "mid", "added": T0}, T0, position=2)
    pull_task(queues, "q", "c", "t2", T0)
    expected = ["front", "t0", "mid", "t1", "t3"]
    assert [e["task"] for e in fresh(root)["q"]["entries"]] == expected
    # mongomock's generic update path: copies of the items, changed in place
    queues.update_one({"_id": "q"}, {"$set": {"entries.1.task": "changed"}})
    queues.update_one({"_id": "q"}, {"$push": {"entries": {"task": "pushed", "added": T0}}})
    queues.update_one({"_id": "q"}, {"$pop": {"entries": -1}})
    expected = ["changed", "mid", "t1", "t3", "pushed"]
    assert [e["task"] for e in fresh(root)["q"]["entries"]] == expected
    assert [e["task"] for e in queues.find_one({"_id": "q"})["entries"]] == expected
    assert [i["task"] for _, _, i in row_table(root)[1]] == expected
    assert queues.find_one({"entries.task": "pushed"})["_id"] == "q"
    assert queues.find_one({"entries.task": "front"}) is None


def test_no_list_an_empty_list_and_other_values_stay_what_they_were(queues: Any, root: Path) -> None:
    queues.insert_many(
        [{"_id": "bare", "company": "c"}, {"_id": "empty", "entries": []}, {"_id": "odd", "entries": None}]
    )
    stored = fresh(root)
    assert "entries" not in stored["bare"]
    assert stored["empty"]["entries"] == [] and stored["odd"]["entries"] is None
    queues.insert_one({"_id": "q", "entries": entries(2)})
    queues.update_one({"_id": "q"}, {"$unset": {"entries": 1}})
    assert "entries" not in fresh(root)["q"] and row_table(root)[1] == []
    queues.update_one({"_id": "q"}, {"$set": {"entries": ["a", 1, 1.0, True, None, {"x": [1]}]}})
    assert fresh(root)["q"]["entries"] == ["a", 1, 1.0, True, None, {"x": [1]}]
    assert [type(v) for v in fresh(root)["q"]["entries"]] == [str, int, float, bool, type(None), dict]


def test_a_row_written_before_the_layout_is_read_and_converted(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "company": "c", "entries": []})
    conn = sqlite3.connect(root / "db" / "queue")
    with conn:  # a row as earlier releases wrote it: the list inside the document
        conn.execute(
            "UPDATE documents SET doc = ?", (bson.encode({"_id": "q", "company": "c", "entries": entries(3)}),)
        )
    conn.close()
    queues = client_class(root)().db.queue
    assert queues.find_one({"_id": "q"})["entries"] == entries(3)
    assert pop_head(queues, "q", "c", T0) is not None
    docs, items = row_table(root)
    assert docs["q"]["entries"] == [] and [i["task"] for _, _, i in items] == ["t1", "t2"]
    assert fresh(root)["q"]["entries"] == entries(2, start=1)


def test_a_change_by_another_connection_is_seen_before_the_next_write(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "company": "c", "entries": entries(3)})
    queues.find_one({"_id": "q"})
    other = client_class(root)().db.queue
    push_entry(other, "q", "c", {"task": "other", "added": T0}, T0, position=0)
    before = pop_head(queues, "q", "c", T0)
    assert before is not None and before["entries"][0]["task"] == "other"
    assert [e["task"] for e in fresh(root)["q"]["entries"]] == ["t0", "t1", "t2"]


def test_a_failed_write_changes_nothing(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "company": "c", "entries": entries(3)})
    queues.find_one({"_id": "q"})
    with pytest.raises(bson.errors.InvalidDocument):
        queues.update_one({"_id": "q"}, {"$set": {"entries": entries(1), "bad": {1, 2}}})
    with pytest.raises(bson.errors.InvalidDocument):
        queues.update_one({"_id": "q"}, {"$push": {"entries": {"task": "bad", "added": {1}}}})
    assert fresh(root)["q"]["entries"] == entries(3) == queues.find_one({"_id": "q"})["entries"]
    assert pop_head(queues, "q", "c", T0) is not None
    assert fresh(root)["q"]["entries"] == entries(2, start=1)


def test_delete_drop_and_rename_take_the_rows_along(root: Path) -> None:
    db = client_class(root)().db
    db.queue.insert_many([{"_id": "a", "entries": entries(2)}, {"_id": "b", "entries": entries(3)}])
    db.queue.delete_one({"_id": "a"})
    assert {k for k, _, _ in row_table(root)[1]} == {db.queue._store._documents.encode_key("b")}
    db.queue.rename("queue_old")
    assert fresh(root, "queue_old")["b"]["entries"] == entries(3)
    assert fresh(root) == {} and row_table(root)[1] == []
    old = client_class(root)().db.queue_old
    old.update_one({"_id": "b"}, {"$pop": {"entries": -1}})
    assert fresh(root, "queue_old")["b"]["entries"] == entries(2, start=1)
    assert row_table(root, "queue_old")[0]["b"]["entries"] == []  # still in rows after the rename
    db.queue_old.drop()
    assert fresh(root, "queue_old") == {} and row_table(root, "queue_old")[1] == []
    db.queue_old.insert_one({"_id": "b", "entries": []})
    assert fresh(root, "queue_old")["b"]["entries"] == []  # no row of the dropped document came back


def _refuse_deletes(root: Path, name: str) -> None:
    """A trigger that makes litemongo's drop/copy_from fail half-way (as a full disk would)."""
    conn = sqlite3.connect(root / "db" / name)
    with conn:
        conn.execute("CREATE TRIGGER refuse BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'refused'); END")
    conn.close()


def test_a_failed_drop_or_rename_keeps_every_entry(root: Path) -> None:
    db = client_class(root)().db
    db.queue.insert_one({"_id": "q", "company": "c", "entries": entries(2)})
    db.queue2.insert_one({"_id": "q", "entries": ["first"]})
    db.queue.find_one({"_id": "q"})
    _refuse_deletes(root, "queue")
    with pytest.raises(sqlite3.IntegrityError):
        db.queue.drop()
    assert fresh(root)["q"]["entries"] == entries(2) == db.queue.find_one({"_id": "q"})["entries"]
    _refuse_deletes(root, "queue2")
    with pytest.raises(sqlite3.IntegrityError):
        db.client._store["db"]["queue2"].copy_from(db.client._store["db"]["queue"])
    assert fresh(root, "queue2")["q"]["entries"] == ["first"]


def test_a_renamed_collection_follows_its_file(root: Path) -> None:
    """queue → archive (split, recorded in the file), then archive replaced by a collection
    that never was split: its lists stay in its rows, as a new client reads them."""
    db = client_class(root)().db
    db.queue.insert_one({"_id": "q", "entries": entries(2)})
    db.queue.rename("archive")
    db.archive.drop()
    db.other.insert_one({"_id": "d", "entries": ["x"]})
    db.other.rename("archive")
    db.archive.update_one({"_id": "d"}, {"$push": {"entries": "y"}})
    assert db.archive.find_one({"_id": "d"})["entries"] == ["x", "y"] == fresh(root, "archive")["d"]["entries"]
    assert row_table(root, "archive")[0]["d"]["entries"] == ["x", "y"]  # in the row: not split


def test_opening_and_reading_a_queue_collection_writes_nothing(queues: Any, root: Path) -> None:
    queues.insert_one({"_id": "q", "entries": entries(2)})
    watcher = sqlite3.connect(root / "db" / "queue")
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    assert fresh(root)["q"]["entries"] == entries(2)  # a new client: opens the file, reads
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
    watcher.close()
