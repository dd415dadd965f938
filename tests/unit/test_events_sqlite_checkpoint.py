"""The SQLite event store checkpoints its WAL on a thread of its own, and stops it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from stationmaster.database.events import sqlite as sqlite_store
from stationmaster.database.events.sqlite import SqliteEventStore


def _event(n: int) -> dict[str, object]:
    return {
        "id": f"e{n}",
        "type": "log",
        "task": "t",
        "timestamp": n,
        "msg": "x",
        "@timestamp": "2026-01-01T00:00:00.000Z",
    }


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "events-checkpoint"]


def test_wal_is_checkpointed_off_the_writer_and_the_thread_stops(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    before = _checkpoint_threads()
    for n in range(sqlite_store._CHECKPOINT_EVERY * 2 + 1):
        store.add("c", [_event(n)])
    assert len(_checkpoint_threads()) == len(before) + 1
    # the writer's connection never checkpoints by itself
    assert store._conn().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    store.close()
    assert _checkpoint_threads() == before
    reopened = SqliteEventStore(path)
    try:
        assert reopened.count("c", "log", ["t"]) == sqlite_store._CHECKPOINT_EVERY * 2 + 1
    finally:
        reopened.close()


def test_a_store_closed_before_any_checkpoint_starts_no_thread(tmp_path: Path) -> None:
    before = _checkpoint_threads()
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store.add("c", [_event(1)])
    store.close()
    assert _checkpoint_threads() == before


def _scalar(it: int, value: float) -> dict[str, object]:
    return {
        "id": f"s{it}",
        "type": "training_stats_scalar",
        "task": "t",
        "iter": it,
        "metric": "m",
        "variant": "v",
        "value": value,
        "timestamp": 1000 + it,
        "@timestamp": "2026-01-01T00:00:00.000Z",
    }


def test_cached_histograms_follow_every_write(tmp_path: Path) -> None:
    from stationmaster.database.events.base import HistogramRequest

    store = SqliteEventStore(tmp_path / "events.sqlite")
    try:
        request = HistogramRequest("iter", 2, [("t", "m", "v")])
        store.add("c", [_scalar(i, 1.0) for i in range(4)])
        assert store.histogram("c", request) == {("t", "m", "v"): [(0, 1.0), (2, 1.0)]}
        assert store.histogram("c", request) == {("t", "m", "v"): [(0, 1.0), (2, 1.0)]}  # from the cache
        store.add("c", [_scalar(3, 3.0)])  # an overwrite: same count and ranges, another value
        assert store.histogram("c", request) == {("t", "m", "v"): [(0, 1.0), (2, 2.0)]}
        store.delete_tasks("c", ["t"])
        assert store.histogram("c", request) == {}
        store.add("c", [_scalar(0, 5.0)])
        assert store.histogram("c", request) == {("t", "m", "v"): [(0, 5.0)]}
    finally:
        store.close()


def test_the_histogram_cache_is_bounded() -> None:
    cache = sqlite_store._HistogramCache(10)
    cache.put(("a", 1), [(0, 1.0)] * 6)
    cache.put(("b", 1), [(0, 1.0)] * 6)
    assert cache.get(("a", 1)) is None
    assert cache.get(("b", 1)) is not None
    cache.put(("c", 1), [(0, 1.0)] * 11)  # larger than the whole cache: not kept
    assert cache.get(("c", 1)) is None
    assert cache.get(("d", None)) is None


def test_the_wal_starts_over_beyond_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "_WAL_LIMIT", 0)  # every checkpoint also restarts the WAL
    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    wal = Path(f"{path}-wal")
    try:
        batch = 0
        for batch in range(sqlite_store._CHECKPOINT_EVERY * 4):
            store.add("c", [_event(batch * 100 + n) for n in range(100)])
        grown = wal.stat().st_size
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            batch += 1
            store.add("c", [_event(batch * 100)])  # a writer after a RESTART checkpoint resets the WAL
            if wal.stat().st_size < grown / 4:
                break
            time.sleep(0.05)
        assert wal.stat().st_size < grown / 4
        assert store.count("c", "log", ["t"]) == sqlite_store._CHECKPOINT_EVERY * 4 * 100 + (
            batch - sqlite_store._CHECKPOINT_EVERY * 4 + 1
        )
    finally:
        store.close()
