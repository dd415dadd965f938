"""database/field_ops.py: the embedded store's field update gives what mongomock's
``update_one`` gives (issue 24), and leaves in the cache what the row decodes to."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from stationmaster.database.embedded import client_class, store_of
from stationmaster.database.field_ops import update_fields

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901)
DOC = {
    "_id": "t",
    "company": "c",
    "name": "task",
    "last_iteration": 5,
    "last_metrics": {"m1": {"v1": {"metric": "loss", "variant": "a", "value": 2.0, "min_value": 1.0, "max_value": 3}}},
    "metric_stats": {"m1": {"metric": "loss", "event_stats_by_type": {"training_stats_scalar": {"last_update": NOW}}}},
    "odd": {"text": "x", "flag": True, "none": None},
}
UPDATES = [
    # what update_task_stats sends: new and existing series, min/max both ways
    {
        "$set": {
            "last_update": NOW,
            "last_metrics.m1.v1.value": 0.5,
            "last_metrics.m2.v9.metric": "acc",
            "metric_stats.m2.event_stats_by_type.plot.last_update": NOW,
        },
        "$min": {"last_metrics.m1.v1.min_value": 0.5, "last_metrics.m2.v9.min_value": 7.0},
        "$max": {"last_metrics.m1.v1.max_value": 2.5, "last_iteration": 9, "last_metrics.m2.v9.max_value": 7.0},
    },
    {"$max": {"last_iteration": 3}, "$min": {"last_metrics.m1.v1.min_value": 1}},  # no change (1 == 1.0 kept)
    {"$min": {"odd.text": 1.0}},  # not a number: mongomock compares by type order
    {"$max": {"odd.flag": 2}},  # a boolean
    {"$set": {"odd.text.deeper": 1}},  # a path through text: mongomock's error
    {"$set": {"odd.none.x": 1}},  # a path through null
    {"$inc": {"last_iteration": 1}},  # another operator
]


def _collections(tmp_path: Path) -> tuple[Any, Any]:
    fast = client_class(tmp_path / "a")().db.task
    plain = client_class(tmp_path / "b")().db.task
    for coll in (fast, plain):
        coll.insert_one(DOC)
    return fast, plain


def _outcome(call: Any) -> Any:
    try:
        call()
    except Exception as ex:
        return type(ex).__name__
    return None


@pytest.mark.parametrize("update", UPDATES)
def test_the_update_gives_what_mongomock_gives(tmp_path: Path, update: dict[str, Any]) -> None:
    fast, plain = _collections(tmp_path)
    for _ in range(2):  # and once more over the result
        expected = _outcome(lambda: plain.update_one({"_id": "t", "company": "c"}, update))
        assert _outcome(lambda: update_fields(fast, "t", "c", update)) == expected
        assert fast.find_one({"_id": "t"}) == plain.find_one({"_id": "t"})
    documents = store_of(fast)._documents
    cached = documents._cache.get(documents.encode_key("t"))
    if cached is not None:
        documents.clear_cache()
        assert cached == documents["t"]


def test_other_companies_and_missing_documents_are_left_alone(tmp_path: Path) -> None:
    fast, _ = _collections(tmp_path)
    update_fields(fast, "t", "other", {"$set": {"name": "changed"}})
    update_fields(fast, "missing", "c", {"$set": {"name": "changed"}})
    assert fast.find_one({"_id": "t"})["name"] == "task"
    assert fast.count_documents({}) == 1


def test_the_statistics_update_does_not_go_through_mongomock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, _ = _collections(tmp_path)

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("mongomock's update was used")

    monkeypatch.setattr(type(fast), "update_one", refuse)
    for update in UPDATES[:2]:
        update_fields(fast, "t", "c", update)
    assert fast.find_one({"_id": "t"})["last_iteration"] == 9
