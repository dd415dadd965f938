"""The per-series summary table of the SQLite event store.

Histograms and metric listings need, per (task, metric, variant), the number of points
and the iteration / timestamp range. Computing them with GROUP BY over every event of a
task costs a full scan; the ``series`` table keeps them up to date on each write
instead. ``count`` counts the points with an iteration (as ES stats on ``iter`` do),
``total`` all events. Counts are exact (an overwritten event is not counted twice); the ranges only
ever widen, like the events they summarise (an overwrite keeps iteration and series).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    company TEXT NOT NULL,
    type TEXT NOT NULL,
    task TEXT NOT NULL,
    metric TEXT NOT NULL,
    variant TEXT NOT NULL,
    count INTEGER NOT NULL,
    total INTEGER NOT NULL,
    min_iter INTEGER,
    max_iter INTEGER,
    min_ts INTEGER NOT NULL,
    max_ts INTEGER NOT NULL,
    gen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company, type, task, metric, variant)
) WITHOUT ROWID;
"""

_UPSERT = """
INSERT INTO series (company, type, task, metric, variant, count, total, min_iter, max_iter, min_ts, max_ts, gen)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (company, type, task, metric, variant) DO UPDATE SET
    gen = excluded.gen,
    count = count + excluded.count,
    total = total + excluded.total,
    min_iter = coalesce(min(min_iter, excluded.min_iter), min_iter, excluded.min_iter),
    max_iter = coalesce(max(max_iter, excluded.max_iter), max_iter, excluded.max_iter),
    min_ts = min(min_ts, excluded.min_ts),
    max_ts = max(max_ts, excluded.max_ts)
"""

# Column positions in the events rows the store writes.
_TYPE, _ID, _TASK, _ITER, _METRIC, _VARIANT, _TS = 1, 2, 3, 4, 5, 6, 7

#: what ``record`` is told of each written event: (type, task, metric, variant, iter,
#: timestamp, whether it is new rather than an overwrite)
Point = tuple[str, str, str, str, "int | None", int, bool]


def existing_ids(conn: sqlite3.Connection, company_id: str, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (type, id) pairs the ``events`` table holds."""
    found: set[tuple[str, str]] = set()
    by_type: dict[str, list[str]] = {}
    for event_type, event_id in pairs:
        by_type.setdefault(event_type, []).append(event_id)
    for event_type, ids in by_type.items():
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found.update(
                (event_type, r[0])
                for r in conn.execute(
                    f"SELECT id FROM events WHERE company = ? AND type = ? AND id IN ({marks})",
                    [company_id, event_type, *chunk],
                )
            )
    return found


def wide_points(
    conn: sqlite3.Connection, company_id: str, rows: Sequence[tuple[Any, ...]], replaced: set[str]
) -> list[Point]:
    """The points of ``events`` rows about to be written; ``replaced``: ids whose narrow
    scalar row they replace (not new either)."""
    existing = existing_ids(conn, company_id, ((row[_TYPE], row[_ID]) for row in rows))
    points: list[Point] = []
    for row in rows:
        key = (row[_TYPE], row[_ID])
        is_new = key not in existing and row[_ID] not in replaced
        existing.add(key)
        points.append((row[_TYPE], row[_TASK], row[_METRIC], row[_VARIANT], row[_ITER], row[_TS], is_new))
    return points


#: (type, task, metric, variant) → [count, total, min iter, max iter, min ts, max ts]
Summary = dict[tuple[str, str, str, str], list[Any]]


def summarise(points: Iterable[Point]) -> Summary:
    """The summary entries of a batch's points."""
    summary: Summary = {}
    for event_type, task, metric, variant, it, ts, is_new in points:
        entry = summary.get((event_type, task, metric, variant))
        if entry is None:
            entry = summary[(event_type, task, metric, variant)] = [0, 0, it, it, ts, ts]
        if is_new:
            entry[0] += it is not None
            entry[1] += 1
        if it is not None:
            entry[2] = it if entry[2] is None else min(entry[2], it)
            entry[3] = it if entry[3] is None else max(entry[3], it)
        entry[4], entry[5] = min(entry[4], ts), max(entry[5], ts)
    return summary


def merge(summary: Summary, key: tuple[str, str, str, str], entry: list[Any]) -> None:
    """Add one series' entry to ``summary``."""
    old = summary.get(key)
    if old is None:
        summary[key] = entry
        return
    iters = [i for i in (old[2], old[3], entry[2], entry[3]) if i is not None]
    low, high = (min(iters), max(iters)) if iters else (None, None)
    summary[key] = [old[0] + entry[0], old[1] + entry[1], low, high, min(old[4], entry[4]), max(old[5], entry[5])]


def record(conn: sqlite3.Connection, company_id: str, summary: Summary, gen: int) -> None:
    """Write a batch's summary into the series table (``gen``: from next_generation)."""
    conn.executemany(_UPSERT, [(company_id, *key, *values, gen) for key, values in summary.items()])


_last_generation = 0
_generation_lock = threading.Lock()


def next_generation() -> int:
    """A value above every earlier one of this process (also when the clock steps back),
    time-based so that another process's are unlikely to meet it: a series' ``gen``
    changes with every write to it, so a cached histogram or columns are known stale."""
    global _last_generation
    with _generation_lock:
        _last_generation = max(time.time_ns(), _last_generation + 1)
        return _last_generation


def upgrade(conn: sqlite3.Connection) -> None:
    """Drop a summary table of an older layout (``rebuild_if_missing`` refills it)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(series)")}
    if columns and "total" not in columns:
        conn.execute("DROP TABLE series")
    elif columns and "gen" not in columns:
        conn.execute("ALTER TABLE series ADD COLUMN gen INTEGER NOT NULL DEFAULT 0")


def count(conn: sqlite3.Connection, company_id: str, event_type: str | None, tasks: Sequence[str]) -> int:
    """Events of the tasks (of one type or all)."""
    sql = f"SELECT coalesce(sum(total), 0) FROM series WHERE company = ? AND task IN ({','.join('?' * len(tasks))})"
    params: list[Any] = [company_id, *tasks]
    if event_type:
        sql += " AND type = ?"
        params.append(event_type)
    return int(conn.execute(sql, params).fetchone()[0])


def rebuild_if_missing(conn: sqlite3.Connection) -> None:
    """Fill an empty summary table from the events (a store made before it existed)."""
    if (
        conn.execute("SELECT 1 FROM series LIMIT 1").fetchone()
        or not conn.execute("SELECT 1 FROM all_events LIMIT 1").fetchone()
    ):
        return
    conn.execute(
        "INSERT INTO series SELECT company, type, task, metric, variant, count(iter), count(*), min(iter), max(iter), "
        "min(timestamp), max(timestamp), ? FROM all_events GROUP BY company, type, task, metric, variant",
        (next_generation(),),
    )
