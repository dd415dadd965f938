"""The embedded event store: one SQLite database (WAL) in the data directory.

One table holds every event; the company and type columns play the part of the
reference's ``events-<type>-<company>`` indices. Scalar values are kept twice: the
document as sent, and a ``value`` column rounded to 32-bit float as an ES ``float``
field holds it, so aggregations give the same numbers on both stores.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import sqlite_series
from .base import (
    MAX_SIZE,
    EventPage,
    EventQuery,
    EventStore,
    HistogramRequest,
    HistogramResult,
    IterationsQuery,
    LatestValue,
    SeriesInfo,
    as_float32,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    company TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    task TEXT NOT NULL,
    iter INTEGER,
    metric TEXT NOT NULL DEFAULT '',
    variant TEXT NOT NULL DEFAULT '',
    timestamp INTEGER NOT NULL,
    wtime INTEGER NOT NULL DEFAULT 0,
    value REAL,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (company, type, id);
-- covering the series statistics and the histograms (no table lookups)
CREATE INDEX IF NOT EXISTS events_series ON events (company, type, task, metric, variant, iter, timestamp, value);
-- timestamp order with the id tie-breaker: log pages read 500 entries, not the whole log
CREATE INDEX IF NOT EXISTS events_time ON events (company, type, task, timestamp, id);
"""

# Parallel per-series reads of one histogram (the reference uses 4 as well).
_READ_THREADS = 4
# Commits between two checkpoints of the WAL into the database file. The checkpoint (and
# its fsync) runs on a thread of its own, not in the request that commits: SQLite's
# automatic checkpoint cost each ingest request several milliseconds.
_CHECKPOINT_EVERY = 16
# WAL size (bytes) beyond which the checkpointer makes the WAL start over, and to which
# SQLite truncates the file then (journal_size_limit).
_WAL_LIMIT = 64 * 1024 * 1024
# Page cache of each connection (KiB; SQLite's default is 2 MiB).
_CACHE_KIB = 16384
_dumps = json.JSONEncoder(separators=(",", ":")).encode
_COLUMNS = {"timestamp": "timestamp", "iter": "iter", "metric": "metric", "variant": "variant", "id": "id"}


@lru_cache(maxsize=64)
def _write_time(text: Any) -> int:
    """``@timestamp`` (ISO, ms) as epoch ms; every event of one batch shares it."""
    if not isinstance(text, str):
        return 0
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _row(company_id: str, event: dict[str, Any]) -> tuple[Any, ...]:
    event_id = event.pop("id")  # the store consumes the dicts (documented in EventStore.add)
    value = event.get("value") if event["type"] == "training_stats_scalar" else None
    iteration = event.get("iter")
    return (
        company_id,
        event["type"],
        event_id,
        event["task"],
        iteration if isinstance(iteration, int) else None,
        event.get("metric", ""),
        event.get("variant", ""),
        int(event["timestamp"]),
        _write_time(event.get("@timestamp")),
        as_float32(value) if isinstance(value, int | float) else None,
        _dumps(event),
    )


# Bucketed points kept by the histogram cache (about 120 bytes each: ~120 MB at most).
_HISTOGRAM_CACHE_POINTS = 1_000_000


class _HistogramCache:
    """Bucketed series, least recently used first out. Keys hold the series' ``gen``
    (changed by every write to it), so an entry is never stale: it is simply not found."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self._entries: OrderedDict[tuple[Any, ...], list[tuple[int, float]]] = OrderedDict()
        self._points = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> list[tuple[int, float]] | None:
        if key[-1] is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], points: list[tuple[int, float]]) -> None:
        if key[-1] is None or len(points) > self.max_points:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._points += len(points) - (len(old) if old is not None else 0)
            self._entries[key] = points
            while self._points > self.max_points:
                _, dropped = self._entries.popitem(last=False)
                self._points -= len(dropped)


class _Checkpointer:
    """Copies the WAL into the database file every ``_CHECKPOINT_EVERY`` commits, on its
    own thread and connection (PASSIVE: it never blocks readers or the writer), and once
    more at ``stop``. Durability is that of ``synchronous=NORMAL`` with automatic
    checkpoints: a commit is in the WAL, the checkpoint syncs the database file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._commits = 0
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        with self._wake:
            self._commits += 1
            if self._commits < _CHECKPOINT_EVERY or self._stopping:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="events-checkpoint", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while True:
                with self._wake:
                    while self._commits < _CHECKPOINT_EVERY and not self._stopping:
                        self._wake.wait()
                    stopping, self._commits = self._stopping, 0
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                if stopping or self._wal_size() > _WAL_LIMIT:
                    # A passive checkpoint racing a busy writer never finishes the WAL, and
                    # the WAL only starts over once one has: this one waits for the writer.
                    conn.execute("PRAGMA wal_checkpoint(RESTART)")
                if stopping:
                    return
        finally:
            conn.close()

    def _wal_size(self) -> int:
        try:
            return os.path.getsize(f"{self.path}-wal")
        except OSError:
            return 0

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        self._thread = None
        with self._wake:
            self._stopping = False


class _Where:
    """Builds a WHERE clause and its parameters."""

    def __init__(self, company_id: str) -> None:
        self.parts = ["company = ?"]
        self.params: list[Any] = [company_id]

    def add(self, sql: str, *params: Any) -> None:
        self.parts.append(sql)
        self.params.extend(params)

    def one_of(self, column: str, values: Sequence[Any]) -> None:
        self.add(f"{column} IN ({','.join('?' * len(values))})", *values)

    @property
    def sql(self) -> str:
        return " AND ".join(self.parts)


class SqliteEventStore(EventStore):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._checkpointer = _Checkpointer(path)
        self._histograms = _HistogramCache(_HISTOGRAM_CACHE_POINTS)
        conn = self._conn()
        conn.executescript(_SCHEMA)
        sqlite_series.upgrade(conn)
        conn.executescript(sqlite_series.SCHEMA)
        with self._tx() as tx:
            sqlite_series.rebuild_if_missing(tx)

    # --- connections -------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # see _Checkpointer
            # index pages of a growing store stay in memory: 15-20% less CPU per ingested event
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._checkpointer.committed()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="events-read")
            return self._executor

    def close(self) -> None:
        self._checkpointer.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    # --- writes ------------------------------------------------------------------------

    def add(self, company_id: str, events: Sequence[dict[str, Any]]) -> int:
        rows = [_row(company_id, e) for e in events]
        with self._tx() as conn:
            sqlite_series.record(conn, company_id, rows)
            conn.executemany(
                "INSERT OR REPLACE INTO events "
                "(company, type, id, task, iter, metric, variant, timestamp, wtime, value, doc) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
        return len(rows)

    def delete_tasks(self, company_id: str, task_ids: Sequence[str]) -> int:
        if not task_ids:
            return 0
        where = _Where(company_id)
        where.one_of("task", list(task_ids))
        with self._tx() as conn:
            conn.execute(f"DELETE FROM series WHERE {where.sql}", where.params)
            return conn.execute(f"DELETE FROM events WHERE {where.sql}", where.params).rowcount

    # --- reads -------------------------------------------------------------------------

    def _where(self, company_id: str, q: EventQuery) -> _Where:
        where = _Where(company_id)
        if q.event_type:
            where.add("type = ?", q.event_type)
        where.one_of("task", list(q.tasks))
        if q.metrics is not None:
            where.one_of("metric", list(q.metrics))
        if q.variants is not None:
            where.one_of("variant", list(q.variants))
        if q.iters is not None:
            where.one_of("iter", list(q.iters))
        if q.series is not None:
            pairs = " OR ".join("(metric = ? AND variant = ?)" for _ in q.series)
            where.add(f"({pairs or '0'})", *(v for pair in q.series for v in pair))
        if q.urls is not None:
            where.add(f"json_extract(doc, '$.url') IN ({','.join('?' * len(q.urls))})", *q.urls)
        bounds: list[tuple[str, str, int | None]] = [("iter", "<", q.iter_lt), ("iter", ">", q.iter_gt)]
        bounds += [("timestamp", "<", q.ts_lt), ("timestamp", ">", q.ts_gt), ("timestamp", "=", q.ts_eq)]
        for column, op, value in bounds:
            if value is not None:
                where.add(f"{column} {op} ?", value)
        return where

    def search(self, company_id: str, query: EventQuery) -> EventPage:
        if not query.tasks:
            return EventPage([], 0)
        where = self._where(company_id, query)
        conn = self._conn()
        total = 0
        if query.with_total:
            total = conn.execute(f"SELECT count(*) FROM events WHERE {where.sql}", where.params).fetchone()[0]
        columns = [_COLUMNS[f] for f, _ in query.sort]
        if query.after is not None:
            where.add(*_after_clause(query.sort, query.after))
        order = ", ".join(f"{c} {'DESC' if desc else 'ASC'}" for c, (_, desc) in zip(columns, query.sort, strict=True))
        rows = conn.execute(
            f"SELECT doc, {', '.join(columns)} FROM events WHERE {where.sql} ORDER BY {order} LIMIT ?",
            [*where.params, min(query.size, MAX_SIZE)],
        ).fetchall()
        events = [json.loads(r[0]) for r in rows]
        return EventPage(events, total, list(rows[-1][1:]) if rows else None)

    def count(self, company_id: str, event_type: str | None, tasks: Sequence[str]) -> int:
        return sqlite_series.count(self._conn(), company_id, event_type, tasks) if tasks else 0

    def series(
        self, company_id: str, event_type: str, tasks: Sequence[str], metrics: Sequence[str] | None = None
    ) -> list[SeriesInfo]:
        if not tasks:
            return []
        where = _Where(company_id)
        where.add("type = ?", event_type)
        where.one_of("task", list(tasks))
        if metrics is not None:
            where.one_of("metric", list(metrics))
        rows = (
            self._conn()
            .execute(
                "SELECT task, metric, variant, count, coalesce(min_iter, 0), coalesce(max_iter, 0), min_ts, max_ts "
                f"FROM series WHERE {where.sql} ORDER BY task, metric, variant",
                where.params,
            )
            .fetchall()
        )
        return [SeriesInfo(*r) for r in rows]

    def histogram(self, company_id: str, request: HistogramRequest) -> HistogramResult:
        if not request.series:
            return {}
        column = "iter" if request.field == "iter" else "timestamp"
        interval = max(1, int(request.interval))
        sql = (
            f"SELECT ({column} - ({column} % ?) - (CASE WHEN {column} % ? < 0 THEN ? ELSE 0 END)) AS k, "
            "avg(value) FROM events WHERE company = ? AND type = 'training_stats_scalar' AND task = ? "
            f"AND metric = ? AND variant = ? AND {column} IS NOT NULL AND value IS NOT NULL "
            "GROUP BY k ORDER BY k"
        )
        generations = self._generations(company_id, request.series)

        def one(series: tuple[str, str, str]) -> list[tuple[int, float]]:
            key = (company_id, *series, column, interval, generations.get(series))
            found = self._histograms.get(key)
            if found is None:
                rows = self._conn().execute(sql, (interval, interval, interval, company_id, *series)).fetchall()
                found = [(int(k), float(v)) for k, v in rows]
                self._histograms.put(key, found)
            return found

        # sqlite3 releases the GIL while a query runs: series are bucketed in parallel
        points = self._pool().map(one, request.series) if len(request.series) > 1 else map(one, request.series)
        return {series: list(found) for series, found in zip(request.series, points, strict=True) if found}

    def _generations(self, company_id: str, series: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
        """The ``gen`` of each scalar series: a write to a series changes it."""
        where = _Where(company_id)
        where.add("type = 'training_stats_scalar'")
        where.one_of("task", sorted({task for task, _, _ in series}))
        rows = self._conn().execute(f"SELECT task, metric, variant, gen FROM series WHERE {where.sql}", where.params)
        return {(t, m, v): g for t, m, v, g in rows}

    def iterations(self, company_id: str, query: IterationsQuery) -> list[int]:
        q = query
        where = _Where(company_id)
        where.add("type = ?", q.event_type)
        where.add("task = ?", q.task)
        where.add("iter IS NOT NULL")
        if q.metric is not None:
            where.add("metric = ?", q.metric)
        if q.variant is not None:
            where.add("variant = ?", q.variant)
        if q.below is not None:
            where.add("iter < ?", q.below)
        if q.above is not None:
            where.add("iter > ?", q.above)
        rows = (
            self._conn()
            .execute(
                f"SELECT DISTINCT iter FROM events WHERE {where.sql} ORDER BY iter {'DESC' if q.descending else 'ASC'} "
                "LIMIT ?",
                [*where.params, max(0, min(q.limit, MAX_SIZE))],
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def latest_values(self, company_id: str, task: str) -> list[LatestValue]:
        rows = (
            self._conn()
            .execute(
                "SELECT metric, variant, value, wmax FROM ("
                " SELECT metric, variant, json_extract(doc, '$.value') AS value,"
                "  max(wtime) OVER (PARTITION BY metric, variant) AS wmax,"
                "  row_number() OVER (PARTITION BY metric, variant ORDER BY iter DESC, timestamp DESC, id DESC) AS rn"
                " FROM events WHERE company = ? AND type = 'training_stats_scalar' AND task = ? AND value > 0"
                ") WHERE rn = 1 ORDER BY metric, variant",
                (company_id, task),
            )
            .fetchall()
        )
        return [LatestValue(task, m, v, as_float32(val), w) for m, v, val, w in rows]


def _after_clause(sort: Sequence[tuple[str, bool]], after: Sequence[Any]) -> tuple[Any, ...]:
    """Keyset condition ``(a, b, ...) > (x, y, ...)`` honouring each column's direction."""
    ors = []
    params: list[Any] = []
    for i, (name, desc) in enumerate(sort):
        ands = [f"{_COLUMNS[sort[j][0]]} = ?" for j in range(i)]
        params.extend(after[:i])
        ands.append(f"{_COLUMNS[name]} {'<' if desc else '>'} ?")
        params.append(after[i])
        ors.append("(" + " AND ".join(ands) + ")")
    return ("(" + " OR ".join(ors) + ")", *params)
