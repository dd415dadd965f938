"""The queue pop (database/queue_ops.py): the embedded fast path and the generic
find_one_and_update path give the same results."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import mongomock
import pytest

from stationmaster.database.embedded import client_class, store_of
from stationmaster.database.queue_ops import pop_head, pull_task, push_entry

T0 = datetime(2026, 1, 1)
NOW = datetime(2026, 1, 2)


@pytest.fixture(params=["mongomock", "litemongo"])
def coll(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "mongomock":
        yield mongomock.MongoClient().db.queue
    else:
        yield client_class(tmp_path / "docs")().db.queue


def test_paths(coll: Any) -> None:
    assert (store_of(coll) is not None) == (type(coll).__module__.startswith("litemongo"))


def test_pop_returns_the_document_before_and_removes_the_head(coll: Any) -> None:
    entries = [{"task": f"t{i}", "added": T0} for i in range(3)]
    coll.insert_one({"_id": "q", "company": "c", "name": "q", "entries": entries})
    before = pop_head(coll, "q", "c", NOW)
    assert before is not None and before["entries"] == entries and before["name"] == "q"
    stored = coll.find_one({"_id": "q"})
    assert stored["entries"] == entries[1:] and stored["last_update"] == NOW
    # the in-process query index sees the change
    assert coll.find_one({"entries.task": "t0"}) is None
    assert coll.find_one({"entries.task": "t1"})["_id"] == "q"


def test_empty_missing_and_foreign_queues(coll: Any) -> None:
    coll.insert_one({"_id": "empty", "company": "c", "entries": []})
    coll.insert_one({"_id": "bare", "company": "c"})
    before = pop_head(coll, "empty", "c", NOW)
    assert before is not None and before["entries"] == []
    assert coll.find_one({"_id": "empty"})["last_update"] == NOW
    if store_of(coll) is not None:  # (mongomock's $pop fails on a missing field; MongoDB's does not)
        assert (pop_head(coll, "bare", "c", NOW) or {}).get("entries") == []
    assert pop_head(coll, "nope", "c", NOW) is None
    assert pop_head(coll, "empty", "other-company", NOW) is None


def test_push_and_pull(coll: Any) -> None:
    coll.insert_one({"_id": "q", "company": "c", "entries": [{"task": "a", "added": T0}]})
    after = push_entry(coll, "q", "c", {"task": "b", "added": NOW}, NOW)
    assert after is not None and [e["task"] for e in after["entries"]] == ["a", "b"]
    assert push_entry(coll, "q", "c", {"task": "b", "added": NOW}, NOW) is None  # already queued
    assert push_entry(coll, "q", "other", {"task": "c", "added": NOW}, NOW) is None
    assert push_entry(coll, "nope", "c", {"task": "c", "added": NOW}, NOW) is None
    after = push_entry(coll, "q", "c", {"task": "c", "added": NOW}, NOW, position=1)
    assert after is not None and [e["task"] for e in after["entries"]] == ["a", "c", "b"]
    after = push_entry(coll, "q", "c", {"task": "d", "added": NOW}, NOW, position=9)
    assert after is not None and [e["task"] for e in after["entries"]] == ["a", "c", "b", "d"]
    before = pull_task(coll, "q", "c", "c", NOW)
    assert before is not None and [e["task"] for e in before["entries"]] == ["a", "c", "b", "d"]
    assert [e["task"] for e in coll.find_one({"_id": "q"})["entries"]] == ["a", "b", "d"]
    assert pull_task(coll, "q", "c", "c", NOW) is None
    assert pull_task(coll, "q", "other", "a", NOW) is None
    assert coll.find_one({"_id": "q"})["last_update"] == NOW


def test_concurrent_embedded_pops_hand_out_each_entry_once(tmp_path: Path) -> None:
    # (plain mongomock is not thread-safe; MongoDB's find_one_and_update is atomic)
    coll = client_class(tmp_path / "docs")().db.queue
    coll.insert_one({"_id": "q", "company": "c", "entries": [{"task": f"t{i}", "added": T0} for i in range(400)]})
    got: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            before = pop_head(coll, "q", "c", NOW)
            if not before or not before.get("entries"):
                return
            with lock:
                got.append(before["entries"][0]["task"])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(got) == sorted(f"t{i}" for i in range(400))


def test_the_document_left_in_the_cache_is_what_the_row_decodes_to(tmp_path: Path) -> None:
    """After each change the embedded path keeps the written document in the store's cache
    (issue 24); it must equal what decoding the stored row gives — microseconds of the new
    datetimes included, which BSON does not keep."""
    coll = client_class(tmp_path / "docs")().db.queue
    coll.insert_one({"_id": "q", "company": "c", "entries": [{"task": f"t{i}", "added": T0} for i in range(3)]})
    documents = store_of(coll)._documents
    fine = datetime(2026, 1, 2, 3, 4, 5, 678901)
    changes = [
        lambda: pop_head(coll, "q", "c", fine),
        lambda: push_entry(coll, "q", "c", {"task": "new", "added": fine}, fine, position=1),
        lambda: pull_task(coll, "q", "c", "t2", fine),
        lambda: push_entry(coll, "q", "c", {"task": "last", "added": fine}, fine),
    ]
    for change in changes:
        assert change() is not None
        key = documents.encode_key("q")
        cached = documents._cache[key]
        documents.clear_cache()
        decoded = documents["q"]
        assert cached == decoded
        assert cached["last_update"].microsecond == 678000
        documents.keep("q", cached)
    assert [e["task"] for e in coll.find_one({"_id": "q"})["entries"]] == ["t1", "new", "last"]


def test_an_appended_entry_is_answered_as_stored(coll: Any) -> None:
    """push_entry answers the entries the store keeps (the added one passed through its
    encoding), so the next pop's entries are the same objects: the queue metric's sum is
    carried over them (bll/statistics.py WaitSums) instead of summed afresh."""
    coll.insert_one({"_id": "q", "company": "c", "entries": [{"task": "a", "added": T0}]})
    added = {"task": "b", "added": datetime(2026, 1, 1, 0, 0, 0, 123456)}
    after = push_entry(coll, "q", "c", added, NOW)
    assert after is not None and after["entries"][-1]["task"] == "b"
    before = pop_head(coll, "q", "c", NOW)
    assert before is not None
    if store_of(coll) is not None:
        assert after["entries"][-1] is not added and after["entries"][-1]["added"].microsecond == 123000
        assert all(x is y for x, y in zip(after["entries"], before["entries"], strict=True))
