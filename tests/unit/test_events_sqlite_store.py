"""The SQLite event store on its own: overwrites, the series summary, keyset paging,
bucket keys of negative values and the latest values."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from stationmaster.database.events.base import EventQuery, HistogramRequest, IterationsQuery
from stationmaster.database.events.sqlite import SqliteEventStore

SCALAR = "training_stats_scalar"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = SqliteEventStore(tmp_path / "events.sqlite")
    yield s
    s.close()


def scalar(it: int, value: float, variant: str = "v", task: str = "t", ts: int | None = None) -> dict[str, Any]:
    return {
        "id": f"{task}-{it}-{variant}",
        "type": SCALAR,
        "task": task,
        "iter": it,
        "metric": "m",
        "variant": variant,
        "value": value,
        "timestamp": 1000 + it if ts is None else ts,
        "@timestamp": "2026-01-01T00:00:00.000Z",
    }


def test_overwrites_keep_counts_exact(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, 1.0) for i in range(5)])
    store.add("c", [scalar(i, 2.0) for i in range(3)] + [scalar(3, 5.0), scalar(3, 6.0)])
    (series,) = store.series("c", SCALAR, ["t"])
    assert (series.count, series.min_iter, series.max_iter) == (5, 0, 4)
    page = store.search("c", EventQuery(SCALAR, ["t"], sort=[("iter", False), ("id", False)]))
    assert [e["value"] for e in page.events] == [2.0, 2.0, 2.0, 6.0, 1.0]
    assert page.total == 5
    assert "id" not in page.events[0]
    assert store.count("c", SCALAR, ["t"]) == store.count("c", None, ["t", "u"]) == 5
    store.add("c", [{"id": "l1", "type": "log", "task": "t", "msg": "x", "timestamp": 3} for _ in range(2)])
    assert (store.count("c", "log", ["t"]), store.count("c", None, ["t"]), store.count("c", "plot", ["t"])) == (1, 6, 0)


def test_series_are_per_company_and_deleted_with_their_task(store: SqliteEventStore) -> None:
    store.add("c", [scalar(1, 1.0), scalar(2, 1.0, variant="w"), scalar(1, 1.0, task="u")])
    store.add("d", [scalar(1, 1.0)])
    assert [(s.task, s.variant) for s in store.series("c", SCALAR, ["t", "u"])] == [("t", "v"), ("t", "w"), ("u", "v")]
    assert store.delete_tasks("c", ["t"]) == 2
    assert [s.task for s in store.series("c", SCALAR, ["t", "u"])] == ["u"]
    assert len(store.series("d", SCALAR, ["t"])) == 1


def test_summary_is_rebuilt_for_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    first = SqliteEventStore(path)
    first.add("c", [scalar(i, 1.0) for i in range(4)])
    first._conn().execute("DELETE FROM series")
    first.close()
    again = SqliteEventStore(path)
    assert again.series("c", SCALAR, ["t"])[0].count == 4
    again.close()


def test_keyset_paging_descending_with_ties(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, 1.0, ts=5) for i in range(4)] + [scalar(9, 1.0, ts=6)])
    query = EventQuery(SCALAR, ["t"], sort=[("timestamp", True), ("id", True)], size=2)
    seen = []
    while True:
        page = store.search("c", query)
        if not page.events:
            break
        seen += [e["iter"] for e in page.events]
        query.after = page.last_key
    assert seen == [9, 3, 2, 1, 0]


def test_histogram_buckets_floor_negative_keys(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, float(i)) for i in (-3, -1, 0, 2, 4)])
    result = store.histogram("c", HistogramRequest("iter", 3, [("t", "m", "v")]))
    assert result[("t", "m", "v")] == [(-3, -2.0), (0, 1.0), (3, 4.0)]


def test_latest_values_and_iterations(store: SqliteEventStore) -> None:
    store.add("c", [scalar(1, 3.0), scalar(2, 0.25), scalar(3, -1.0), scalar(1, 2.0, variant="w")])
    latest = store.latest_values("c", "t")
    assert [(v.variant, v.value) for v in latest] == [("v", 0.25), ("w", 2.0)]  # only positive values count
    assert store.iterations("c", IterationsQuery(SCALAR, "t", limit=2)) == [3, 2]
    assert store.iterations("c", IterationsQuery(SCALAR, "t", below=3, descending=False, limit=5)) == [1, 2]


def test_a_failing_batch_leaves_nothing_behind(store: SqliteEventStore) -> None:
    store.add("c", [scalar(0, 1.0)])
    broken = scalar(2, 1.0)
    broken["task"] = ("not", "bindable")  # SQLite cannot bind it: fails after the first row is written
    with pytest.raises(sqlite3.Error):
        store.add("c", [scalar(1, 1.0), broken])
    assert store.count("c", SCALAR, ["t"]) == 1
    assert store.search("c", EventQuery(SCALAR, ["t"])).total == 1
    assert store.series("c", SCALAR, ["t"])[0].count == 1
