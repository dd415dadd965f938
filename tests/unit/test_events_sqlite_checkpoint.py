"""The SQLite event store checkpoints its WAL on a thread of its own, and stops it."""

from __future__ import annotations

import threading
from pathlib import Path

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
